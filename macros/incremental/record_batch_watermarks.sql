{#- on-run-start of `dbt build`: each existing incremental model's newest load_id before the
    build adds rows, so that data tests can read just the new batch (new_batch_condition). A
    full refresh records nothing: its tests read every row. -#}
{% macro record_batch_watermarks() -%}
    {%- if not execute or flags.WHICH != 'build' -%}
        {%- do return('') -%}
    {%- endif -%}
    {%- set watermarks = [] -%}
    {%- if not flags.FULL_REFRESH -%}
        {%- for node in batched_incremental_models() -%}
            {%- set existing = adapter.get_relation(node.database, node.schema, node.alias) -%}
            {%- if existing is not none -%}
                {%- do watermarks.append(
                    "select '" ~ node.name ~ "' as model_name, (select max(load_id) from "
                    ~ existing ~ ") as after_load_id"
                ) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ create_or_replace_table(batch_watermarks_relation()) }}
    {% if watermarks -%}
        {{ watermarks | join('\nunion all\n') }}
    {%- else -%}
        select
            cast(null as string) as model_name,
            cast(null as bigint) as after_load_id
        where false
    {%- endif %}
{%- endmacro %}
