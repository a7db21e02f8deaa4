{#- The newest load_id the incremental model `model_name` held before this `dbt build` added
    rows (recorded by record_batch_watermarks), 0 when it held none. On a full refresh and
    outside `dbt build` nothing was recorded for this run: 0, every row is new.
    When the node is rendered to run (data tests are, after on-run-start has recorded the
    watermarks), the value is read then and written as a literal: DuckDB pushes `load_id > 384`
    into the table scan, while a scalar subquery is joined after every row of the view under
    test has been computed (2.6 s against 0.1 s for one test at 1M answers). At parse time it
    is the scalar subquery. -#}
{% macro batch_watermark(model_name) -%}
    {#- (`flags` is dbt's; sqlfluff's templater, which lints the models, has none.) -#}
    {%- if flags is not defined or flags.FULL_REFRESH or flags.WHICH != 'build' -%}
        0
    {%- else -%}
        {%- set lookup -%}
        coalesce((
            select batch_watermarks.after_load_id
            from {{ batch_watermarks_relation() }} as batch_watermarks
            where batch_watermarks.model_name = '{{ model_name }}'
        ), 0)
        {%- endset -%}
        {%- if execute -%}
            {%- set found = run_query('select ' ~ lookup) -%}
            {{ found.columns[0].values()[0] | int }}
        {%- else -%}
            {{ lookup }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
