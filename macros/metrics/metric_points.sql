{#- What one answer contributes to its metric's mean, by the metric's kind in the catalogue
    (seeds/metrics.csv): the one place a kind's formula is chosen. The mean of the points over
    a set of answers is the metric's value. Kinds computed per response (weighted_index,
    comment_share) have no per-answer points: NULL. -#}
{% macro metric_points(metric_kind, score, norm, scale_min, scale_max, higher_is_better, value_min, value_max) -%}
    case {{ metric_kind }}
        when 'nps' then {{ nps_points(score) }}
        when 'top2box' then {{ top2box_points(score, scale_min, scale_max, higher_is_better) }}
        when 'mean_rescaled' then {{ rescaled_points(norm, value_min, value_max) }}
        when 'mean_norm' then {{ norm }}
    end
{%- endmacro %}
