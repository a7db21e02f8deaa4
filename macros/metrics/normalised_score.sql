{#- norm of DESIGN §4: the answer on a 0–100 scale, 100 always the best end. -#}
{% macro normalised_score(score, scale_min, scale_max, higher_is_better) -%}
    case
        when {{ higher_is_better }}
            then 100.0 * ({{ score }} - {{ scale_min }}) / ({{ scale_max }} - {{ scale_min }})
        else 100.0 - 100.0 * ({{ score }} - {{ scale_min }}) / ({{ scale_max }} - {{ scale_min }})
    end
{%- endmacro %}
