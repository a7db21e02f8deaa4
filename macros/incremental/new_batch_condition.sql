{#- Which rows of `relation` a data test reads: on an incremental `dbt build`, for an
    incremental model with a load_id, only the deliveries this build added (load_id above the
    model's watermark before the build, kept by record_batch_watermarks); everything otherwise. -#}
{% macro new_batch_condition(relation) -%}
    {%- set node = incremental_model_of(relation) -%}
    {%- if flags.FULL_REFRESH or flags.WHICH != 'build' or node is none -%}
        true
    {%- else -%}
        load_id > {{ batch_watermark(node.name) }}
    {%- endif -%}
{%- endmacro %}
