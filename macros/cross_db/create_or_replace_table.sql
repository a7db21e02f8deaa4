{#- The head of a statement that replaces `relation` with a query's rows: `create or replace
    table ... as`. Spark's parquet tables are not v2 tables, which REPLACE needs: there the
    table is dropped first and created. -#}
{% macro create_or_replace_table(relation) -%}
    {{ return(adapter.dispatch('create_or_replace_table', 'cxbench')(relation)) }}
{%- endmacro %}

{% macro default__create_or_replace_table(relation) -%}
    create or replace table {{ relation }} as
{%- endmacro %}

{% macro spark__create_or_replace_table(relation) -%}
    {%- if execute -%}
        {%- do run_query('create schema if not exists ' ~ relation.schema) -%}
        {%- do run_query('drop table if exists ' ~ relation) -%}
    {%- endif -%}
    create table {{ relation }} as
{%- endmacro %}
