{#- True when the double `value` is a number: not NaN, not ±infinity (an overflowing text such
    as '1e999' casts to infinity on some engines). -#}
{% macro is_finite(value) -%}
    {{ return(adapter.dispatch('is_finite', 'cxbench')(value)) }}
{%- endmacro %}

{% macro default__is_finite(value) -%}
    (abs({{ value }}) < cast('Infinity' as double))
{%- endmacro %}

{% macro duckdb__is_finite(value) -%}
    isfinite({{ value }})
{%- endmacro %}
