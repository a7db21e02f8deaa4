{#- Relative size of float rounding error treated as zero when a difference of large sums is
    tested (e.g. a variance from Σx and Σx²). -#}
{% macro float_tolerance() -%}
    1e-12
{%- endmacro %}
