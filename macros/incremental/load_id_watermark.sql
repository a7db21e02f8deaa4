{#- The newest delivery an incremental model already holds (0 while it is empty). Load ids only
    grow, so an incremental build reads just the rows with a larger load_id. Read when the model
    is rendered to run and written as a literal: DuckDB pushes `load_id > 384` into the scan of
    the landed Parquet files and skips the old deliveries' row groups, while a scalar subquery
    is applied only after every landed row has been checked (int_answers_checked at 1M answers:
    4.1 s against 0.3 s). At parse time it is that scalar subquery. -#}
{% macro load_id_watermark() -%}
    {%- set lookup -%}
    (select coalesce(max(watermark.load_id), 0) from {{ this }} as watermark)
    {%- endset -%}
    {%- if execute -%}
        {%- set found = run_query('select ' ~ lookup) -%}
        {{ found.columns[0].values()[0] | int }}
    {%- else -%}
        {{ lookup }}
    {%- endif -%}
{%- endmacro %}
