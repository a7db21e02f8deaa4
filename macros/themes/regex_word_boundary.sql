{#- The regular-expression word boundary: `\b` in RE2 (DuckDB, Spark, Snowflake), `\y` in
    PostgreSQL, where `\b` means backspace. -#}
{% macro regex_word_boundary() -%}
    {{ return(adapter.dispatch('regex_word_boundary', 'cxbench')()) }}
{%- endmacro %}

{% macro default__regex_word_boundary() -%}
    {{ return('\\b') }}
{%- endmacro %}

{% macro postgres__regex_word_boundary() -%}
    {{ return('\\y') }}
{%- endmacro %}
