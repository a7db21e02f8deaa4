{#- on-run-start: make the landed Parquet files readable as the `landing` source, recreated
    every run so that files landed since are seen. DuckDB gets views `landing.<source>` that
    read the files in place; Spark gets external tables over the same folders (dropping an
    external table leaves its files). CXB_LANDED_DIR must be a path the engine can read.

    The path is read here, when dbt runs, and never while dbt parses: a value dbt read while
    parsing (as a source's external_location did) is part of its parse state, so every new
    warehouse (another landed folder) made dbt parse the project again (~4 CPU s). -#}
{% macro create_landing_tables() -%}
    {%- if execute -%}
        {%- set paths = landed_paths() -%}
        {%- do run_query('create schema if not exists landing') -%}
        {%- for source in graph.sources.values() if source.source_name == 'landing' -%}
            {%- do create_landing_relation(source, paths[source.name]) -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}

{#- The relation landing.<source> over `path`, the source's landed folder or file. -#}
{% macro create_landing_relation(source, path) -%}
    {{ return(adapter.dispatch('create_landing_relation', 'cxbench')(source, path)) }}
{%- endmacro %}

{% macro default__create_landing_relation(source, path) -%}
{%- endmacro %}

{% macro duckdb__create_landing_relation(source, path) -%}
    {%- set files = path if path.endswith('.parquet') else path ~ '/*.parquet' -%}
    {%- set files = "'" ~ files | replace("'", "''") ~ "'" -%}
    {#- Nothing landed yet (dbt run by hand on a fresh folder): no view, so a model that reads
        it fails on the missing relation, naming it. -#}
    {%- if run_query('select count(*) from glob(' ~ files ~ ')').columns[0].values()[0] > 0 -%}
        {%- do run_query(
            'create or replace view landing.' ~ source.name
            ~ ' as select * from read_parquet(' ~ files ~ ', union_by_name = true)'
        ) -%}
    {%- endif -%}
{%- endmacro %}

{% macro spark__create_landing_relation(source, path) -%}
    {#- The column types are the source YAML's: a folder without data files (no rejected line
        yet) has no schema to infer. -#}
    {%- set columns = [] -%}
    {%- for column in source.columns.values() -%}
        {%- do columns.append(column.name ~ ' ' ~ column.data_type) -%}
    {%- endfor -%}
    {%- do run_query('drop table if exists landing.' ~ source.name) -%}
    {%- do run_query(
        'create table landing.' ~ source.name ~ ' (' ~ columns | join(', ')
        ~ ") using parquet options (path '" ~ path | replace("'", "") ~ "')"
    ) -%}
{%- endmacro %}

{#- Each landing source's folder (or file) under CXB_LANDED_DIR, as landing writes them. -#}
{% macro landed_paths() -%}
    {%- set landed = env_var('CXB_LANDED_DIR', 'warehouse/landed') -%}
    {{ return({
        'landed_answers': landed ~ '/answers',
        'rejected_lines': landed ~ '/rejects',
        'load_log': landed ~ '/load_log.parquet',
    }) }}
{%- endmacro %}
