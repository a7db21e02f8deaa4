-- One observation per answer (metrics asked directly) or per response (weighted indexes,
-- comment shares), each with the points its metric averages; which is which comes from the
-- metric's kind in the catalogue. Every cell value downstream is mean(points) over a set of
-- observations, so benchmarks, scorecards and roll-ups share one formula.
--
-- Incremental (DuckDB): an observation reads only its own response (its answers, its response
-- row and index scores), so a build recomputes only the observations of the responses with a
-- row in its new deliveries (in_batch_responses); the pre_hook deletes them first. Their
-- answers are found by delivery as the scan reads them (is_batch_answer), so the rest of the
-- history is not joined. A table, so the aggregates and tests that read it do not each
-- recompute every answer.
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

scored as {{ not_materialized(when=not is_incremental()) }} (
    select * from {{ ref('int_answers_scored') }}
    {% if is_incremental() %}
        where {{ is_batch_answer('client_id', 'response_id', 'load_id') }}
    {% endif %}
),

responses as {{ not_materialized(when=not is_incremental()) }} (
    select * from {{ ref('int_responses_summarised') }}
    {% if is_incremental() %}
        where {{ in_batch_responses_at('client_id', 'response_id', 'responded_at') }}
    {% endif %}
),

index_scores as (
    select * from {{ ref('int_response_index_scores') }}
    {% if is_incremental() %}
        where {{ in_batch_responses('client_id', 'response_id') }}
    {% endif %}
),

question_map as (
    select * from {{ ref('question_map') }}
),

metrics as (
    select * from {{ ref('metrics') }}
),

benchmarked as (
    select * from metrics
    where is_benchmarked
),

answer_observations as (
    select
        scored.client_id,
        scored.response_id,
        scored.industry_code,
        scored.touchpoint_code,
        scored.unit,
        scored.responded_at,
        scored.metric_code,
        scored.points
    from scored
    inner join benchmarked
        on scored.metric_code = benchmarked.metric_code
    where scored.points is not null
),

index_observations as (
    select
        responses.client_id,
        responses.response_id,
        responses.industry_code,
        responses.touchpoint_code,
        responses.unit,
        responses.responded_at,
        index_scores.index_code as metric_code,
        index_scores.index_score as points
    from index_scores
    inner join responses
        on
            index_scores.client_id = responses.client_id
            and index_scores.response_id = responses.response_id
    inner join benchmarked
        on index_scores.index_code = benchmarked.metric_code
),

-- Each comment metric a client asks: the share of its responses that carry such a comment.
comment_askers as (
    select distinct
        question_map.client_id,
        question_map.metric_code
    from question_map
    inner join benchmarked
        on question_map.metric_code = benchmarked.metric_code
    where benchmarked.metric_kind = 'comment_share'
),

response_comments as (
    select distinct
        client_id,
        response_id,
        metric_code
    from scored
    where metric_kind = 'comment_share'
),

comment_observations as (
    select
        responses.client_id,
        responses.response_id,
        responses.industry_code,
        responses.touchpoint_code,
        responses.unit,
        responses.responded_at,
        comment_askers.metric_code,
        case when response_comments.response_id is not null then 100.0 else 0.0 end as points
    from responses
    inner join comment_askers
        on responses.client_id = comment_askers.client_id
    left join response_comments
        on
            responses.client_id = response_comments.client_id
            and responses.response_id = response_comments.response_id
            and comment_askers.metric_code = response_comments.metric_code
),

unioned as (
    select * from answer_observations
    union all
    select * from index_observations
    union all
    select * from comment_observations
),

observed as (
    select
        unioned.*,
        {{ statistic_kind('metrics.metric_kind') }} as statistic_kind,
        date_trunc('month', unioned.responded_at)::date as month_start
    from unioned
    inner join metrics
        on unioned.metric_code = metrics.metric_code
),

final as (
    select * from observed
)

select * from final
