{#- Standard error of a cell value (the mean of n points) from its additive sums (n, Σx, Σx²):
    √(observation_variance / n). For NPS, 1.96 × this is exactly the margin of error of
    DESIGN §4, 100 · 1.96 · √(var/n); for the other metrics it is the usual standard error of a
    proportion or of a mean. -#}
{% macro standard_error(statistic_kind, n, sum_x, sum_x2) -%}
    sqrt({{ observation_variance(statistic_kind, n, sum_x, sum_x2) }} / {{ n }})
{%- endmacro %}
