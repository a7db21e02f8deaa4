{#- `expression` as a double. DuckDB divides decimals into a double already, so there the
    expression is left exactly as written; Spark keeps decimal arithmetic (a literal such as
    1.0 is a decimal), which the marts' contracts (double) reject. -#}
{% macro as_double(expression) -%}
    {{ return(adapter.dispatch('as_double', 'cxbench')(expression)) }}
{%- endmacro %}

{% macro default__as_double(expression) -%}
    {{ expression }}
{%- endmacro %}

{% macro spark__as_double(expression) -%}
    cast({{ expression }} as double)
{%- endmacro %}
