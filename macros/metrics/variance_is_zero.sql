{#- True when n values with sums Σx, Σx² are all equal: nΣx² − (Σx)² is zero up to the float
    rounding of the sums (relative to nΣx², the size of the numbers subtracted). -#}
{% macro variance_is_zero(n, sum_x, sum_x2) -%}
    ({{ n }} * {{ sum_x2 }} - {{ sum_x }} * {{ sum_x }} <= {{ float_tolerance() }} * {{ n }} * {{ sum_x2 }})
{%- endmacro %}
