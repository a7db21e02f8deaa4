{#- The two-sided 5% critical value of the standard normal distribution, used for every 95%
    margin of error, confidence interval and significance test (DESIGN §4–§5). -#}
{% macro critical_z() -%}
    1.96
{%- endmacro %}
