{#- A date as ISO 8601 text, YYYY-MM-DD (DuckDB strftime, Spark date_format). -#}
{% macro date_label(date) -%}
    {{ return(adapter.dispatch('date_label', 'cxbench')(date)) }}
{%- endmacro %}

{% macro default__date_label(date) -%}
    strftime({{ date }}, '%Y-%m-%d')
{%- endmacro %}

{% macro spark__date_label(date) -%}
    date_format({{ date }}, 'yyyy-MM-dd')
{%- endmacro %}
