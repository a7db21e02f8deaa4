-- One row per survey response: its touchpoint and time, and whether it carries a comment.
-- Index scores per response are int_response_index_scores.
--
-- Incremental (DuckDB): a build recomputes only the responses with a row in its new
-- deliveries (in_batch_responses); the pre_hook deletes them first.
{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='append',
        pre_hook="{{ delete_batch_responses() }}",
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_delivery_touched_months') }}, {{ ref('int_answers_classified') }}

with

scored as (
    select * from {{ ref('int_answers_scored') }}
    {% if is_incremental() %}
        where {{ is_batch_answer('client_id', 'response_id', 'load_id') }}
    {% endif %}
),

question_map as (
    select * from {{ ref('question_map') }}
),

metrics as (
    select * from {{ ref('metrics') }}
),

comment_askers as (
    select distinct question_map.client_id
    from question_map
    inner join metrics
        on question_map.metric_code = metrics.metric_code
    where metrics.metric_kind = 'comment_share'
),

responses as (
    select
        client_id,
        response_id,
        any_value(industry_code) as industry_code,
        -- All answers of a response share these; min() makes a conflict deterministic.
        min(touchpoint_code) as touchpoint_code,
        min(unit) as unit,
        min(channel) as channel,
        min(responded_at) as responded_at,
        count(*) as n_answers,
        bool_or(metric_kind = 'comment_share') as has_comment
    from scored
    group by client_id, response_id
),

final as (
    select
        {{ surrogate_key(['responses.client_id', 'responses.response_id']) }} as response_key,
        responses.*,
        comment_askers.client_id is not null as asks_comment
    from responses
    left join comment_askers
        on responses.client_id = comment_askers.client_id
)

select * from final
