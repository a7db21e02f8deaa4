{#- A scalar subquery: the newest load_id the incremental model `model_name` held before this
    `dbt build` added rows (recorded by record_batch_watermarks), 0 when it held none. On a
    full refresh and outside `dbt build` nothing was recorded for this run: 0, every row is new. -#}
{% macro batch_watermark(model_name) -%}
    {#- (`flags` is dbt's; sqlfluff's templater, which lints the models, has none.) -#}
    {%- if flags is not defined or flags.FULL_REFRESH or flags.WHICH != 'build' -%}
        0
    {%- else -%}
        coalesce((
            select batch_watermarks.after_load_id
            from {{ batch_watermarks_relation() }} as batch_watermarks
            where batch_watermarks.model_name = '{{ model_name }}'
        ), 0)
    {%- endif -%}
{%- endmacro %}
