{#- 95% margin of error of a value with the given standard error (NULL stays NULL). -#}
{% macro margin_of_error(standard_error) -%}
    ({{ critical_z() }} * {{ standard_error }})
{%- endmacro %}
