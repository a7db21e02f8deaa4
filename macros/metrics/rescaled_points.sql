{#- A mean_rescaled answer: the normalised answer moved onto the metric's own value range
    (CES 2.0: 1–7, 7 = easiest, is 1 + 6 · norm / 100). -#}
{% macro rescaled_points(norm, value_min, value_max) -%}
    ({{ value_min }} + ({{ value_max }} - {{ value_min }}) * {{ norm }} / 100.0)
{%- endmacro %}
