{#- on-run-start: make the landed Parquet files readable as the `landing` source. DuckDB reads
    them in place (the sources' external_location); Spark gets external tables over the same
    folders, dropped and recreated each run so that files landed since are seen (dropping an
    external table leaves its files). CXB_LANDED_DIR must be a path the engine can read. -#}
{% macro create_landing_tables() -%}
    {{ return(adapter.dispatch('create_landing_tables', 'cxbench')()) }}
{%- endmacro %}

{% macro default__create_landing_tables() -%}
    select 1
{%- endmacro %}

{% macro spark__create_landing_tables() -%}
    {%- set landed = env_var('CXB_LANDED_DIR', 'warehouse/landed') | replace("'", "") -%}
    {%- set paths = {
        'landed_answers': landed ~ '/answers',
        'rejected_lines': landed ~ '/rejects',
        'load_log': landed ~ '/load_log.parquet',
    } -%}
    {%- if execute -%}
        {%- do run_query('create schema if not exists landing') -%}
        {%- for source in graph.sources.values() if source.source_name == 'landing' -%}
            {#- The column types are the source YAML's: a folder without data files (no
                rejected line yet) has no schema to infer. -#}
            {%- set columns = [] -%}
            {%- for column in source.columns.values() -%}
                {%- do columns.append(column.name ~ ' ' ~ column.data_type) -%}
            {%- endfor -%}
            {%- do run_query('drop table if exists landing.' ~ source.name) -%}
            {%- do run_query(
                'create table landing.' ~ source.name ~ ' (' ~ columns | join(', ')
                ~ ") using parquet options (path '" ~ paths[source.name] ~ "')"
            ) -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}
