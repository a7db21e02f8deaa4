{#- The newest load_id the incremental model `model_name` held before this `dbt build` added
    rows (recorded by record_batch_watermarks), 0 when it held none. On a full refresh and
    outside `dbt build` nothing was recorded for this run: 0, every row is new.
    A literal when the node runs (integer_at_run_time; data tests run after on-run-start has
    recorded the watermarks), so DuckDB pushes `load_id > N` into the table scan. -#}
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
        {{ integer_at_run_time(lookup) }}
    {%- endif -%}
{%- endmacro %}
