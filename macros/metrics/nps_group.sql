{#- The NPS group of a 0–10 answer (DESIGN §4): promoter 9–10, passive 7–8, detractor 0–6;
    null for no answer. -#}
{% macro nps_group(score) -%}
    case
        when {{ score }} >= 9 then 'promoter'
        when {{ score }} >= 7 then 'passive'
        when {{ score }} >= 0 then 'detractor'
    end
{%- endmacro %}
