{#- Which rows of `relation` a data test reads: on an incremental `dbt build`, for an
    incremental model, only the deliveries this build added (load_id above the model's
    watermark before the build, kept by record_batch_watermarks); everything otherwise. -#}
{% macro new_batch_condition(relation) -%}
    {%- set node = incremental_model_of(relation) -%}
    {%- if flags.FULL_REFRESH or flags.WHICH != 'build' or node is none -%}
        true
    {%- else -%}
        load_id > coalesce((
            select batch_watermarks.after_load_id
            from {{ batch_watermarks_relation() }} as batch_watermarks
            where batch_watermarks.model_name = '{{ node.name }}'
        ), 0)
    {%- endif -%}
{%- endmacro %}
