{#- The newest delivery the incremental aggregates (the models that read
    int_delivery_touched_months) have all taken in: int_answers_classified's newest load_id at
    the end of the last `dbt build` or `dbt run` in which every one of them succeeded. A build
    that failed or skipped any of them leaves it, so the next build touches that build's
    months again (recomputing a month is idempotent), and no delivery is ever left out. -#}
{% macro aggregates_watermark_relation() -%}
    {%- do return(api.Relation.create(
        database=target.get('database'), schema=target.schema, identifier='build_aggregates_watermark'
    )) -%}
{%- endmacro %}

{#- That watermark for int_delivery_touched_months and in_batch_responses, 0 when there is none
    yet, on a full refresh and on engines without incremental models (every month touched).
    Read when the model is rendered to run and written as a literal, which DuckDB pushes into
    the scan of int_answers_classified. -#}
{% macro aggregates_watermark() -%}
    {#- (`flags` is dbt's; sqlfluff's templater, which lints the models, has none.) -#}
    {%- if flags is not defined or not execute or flags.FULL_REFRESH
        or incremental_or_table() != 'incremental' -%}
        {%- do return('0') -%}
    {%- endif -%}
    {%- set relation = aggregates_watermark_relation() -%}
    {%- if adapter.get_relation(relation.database, relation.schema, relation.identifier) is none -%}
        0
    {%- else -%}
        {{ integer_at_run_time(
            'coalesce((select max(watermark.load_id) from ' ~ relation ~ ' as watermark), 0)'
        ) }}
    {%- endif -%}
{%- endmacro %}

{#- on-run-end: advance the watermark when every incremental aggregate of the graph ran in this
    invocation and succeeded. -#}
{% macro record_aggregates_watermark(results) -%}
    {%- if not execute or flags.WHICH not in ['build', 'run'] or incremental_or_table() != 'incremental' -%}
        {%- do return('select 1') -%}
    {%- endif -%}
    {%- set aggregates = [] -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model'
        and 'model.cxbench.int_delivery_touched_months' in node.depends_on.nodes -%}
        {%- do aggregates.append(node.unique_id) -%}
    {%- endfor -%}
    {%- set succeeded = [] -%}
    {%- for result in results
        if result.node.unique_id in aggregates and result.status == 'success' -%}
        {%- do succeeded.append(result.node.unique_id) -%}
    {%- endfor -%}
    {%- if not aggregates or succeeded | length < aggregates | length -%}
        {%- do return('select 1') -%}
    {%- endif -%}
    {%- set classified = graph.nodes['model.cxbench.int_answers_classified'] -%}
    {{ create_or_replace_table(aggregates_watermark_relation()) }}
    select max(load_id) as load_id
    from {{ api.Relation.create(
        database=classified.database, schema=classified.schema, identifier=classified.alias
    ) }}
{%- endmacro %}
