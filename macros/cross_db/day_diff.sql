{#- Whole days from `start_date` to `end_date` (both dates), negative when end is earlier. DuckDB
    subtracts dates into an integer; Spark's date − date is an interval, so datediff there. -#}
{% macro day_diff(start_date, end_date) -%}
    {{ return(adapter.dispatch('day_diff', 'cxbench')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__day_diff(start_date, end_date) -%}
    ({{ end_date }} - {{ start_date }})
{%- endmacro %}

{% macro spark__day_diff(start_date, end_date) -%}
    datediff({{ end_date }}, {{ start_date }})
{%- endmacro %}
