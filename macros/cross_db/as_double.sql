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

{#- `expression` as a bigint: on DuckDB exactly as written (its row_number() is a bigint), on
    Spark cast (its row_number() and rank() are ints; the contracts say bigint). -#}
{% macro as_bigint(expression) -%}
    {{ return(adapter.dispatch('as_bigint', 'cxbench')(expression)) }}
{%- endmacro %}

{% macro default__as_bigint(expression) -%}
    {{ expression }}
{%- endmacro %}

{% macro spark__as_bigint(expression) -%}
    cast({{ expression }} as bigint)
{%- endmacro %}
