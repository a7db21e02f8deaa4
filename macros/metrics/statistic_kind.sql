{#- How a metric's uncertainty is computed, from its kind: the share-like kinds (NPS, top-2-box,
    comment share) as a proportion, everything else as a mean. -#}
{% macro statistic_kind(metric_kind) -%}
    case
        when {{ metric_kind }} in ('nps', 'top2box', 'comment_share') then 'proportion'
        else 'mean'
    end
{%- endmacro %}
