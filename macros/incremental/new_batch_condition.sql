{#- Which rows of `relation` a data test reads. On an incremental `dbt build`, only what the
    build changed, by the model's kind:
      - an incremental model with a load_id: the deliveries this build added (load_id above the
        model's watermark before the build, kept by record_batch_watermarks);
      - a model whose config has meta test_scope:
          new_deliveries: rows of deliveries newer than int_answers_classified's watermark;
          batch_responses: rows of the responses with a row in a new delivery (client_id,
            response_id; in_batch_responses), which is what a per-response model recomputed;
          touched_months: rows of the touched client × months (client_id, month_start);
          touched_days: rows of the days of the touched client × months (client_id,
            responded_date);
          touched_periods: rows of the touched client × periods (client_id, period_grain,
            period_start), which is what an incremental aggregate recomputed;
          touched_years: rows of the touched years (period_start), which is what an
            incremental benchmark mart, and a client mart that reads its cells, recomputed.
    Everything (true) on a full refresh, outside `dbt build` and for every other relation. -#}
{% macro new_batch_condition(relation) -%}
    {%- set node = model_node_of(relation) -%}
    {%- set scope = (node.config.meta or {}).get('test_scope') if node is not none else none -%}
    {%- if tests_read_every_row() or node is none -%}
        true
    {%- elif node.config.materialized == 'incremental' and 'load_id' in node.columns -%}
        load_id > {{ batch_watermark(node.name) }}
    {%- elif scope == 'new_deliveries' -%}
        load_id > {{ batch_watermark('int_answers_classified') }}
    {%- elif scope == 'batch_responses' -%}
        {{ in_batch_responses('client_id', 'response_id') }}
    {%- elif scope == 'touched_months' -%}
        {{ in_touched_months('client_id', 'month_start') }}
    {%- elif scope == 'touched_days' -%}
        {{ in_touched_months('client_id', "cast(date_trunc('month', responded_date) as date)") }}
    {%- elif scope == 'touched_periods' -%}
        {{ in_touched_periods('client_id', 'period_grain', 'period_start') }}
    {%- elif scope == 'touched_years' -%}
        {{ in_touched_years('period_start') }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
