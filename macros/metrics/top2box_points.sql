{#- One CSAT answer as points: 100 when it is one of the two best points of its own scale
    (the two highest, or the two lowest on a reversed scale), else 0. The mean is top-2-box %. -#}
{% macro top2box_points(score, scale_min, scale_max, higher_is_better) -%}
    case
        when {{ higher_is_better }} and {{ score }} >= {{ scale_max }} - 1 then 100.0
        when not {{ higher_is_better }} and {{ score }} <= {{ scale_min }} + 1 then 100.0
        else 0.0
    end
{%- endmacro %}
