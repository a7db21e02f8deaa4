{#- CES 2.0: the normalised answer rescaled to 1–7, 7 = easiest (DESIGN §4). -#}
{% macro ces_points(norm) -%}
    (1.0 + 6.0 * {{ norm }} / 100.0)
{%- endmacro %}
