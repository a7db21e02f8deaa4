-- One observation per answer (nps, csat, ces, osat) or per response (cx_index, comment), each
-- with the points its metric averages. Every cell value downstream is mean(points) over a set
-- of observations, so benchmarks, scorecards and roll-ups share one formula.
with

scored as (
    select * from {{ ref('int_answers_scored') }}
),

responses as (
    select * from {{ ref('int_responses_summarised') }}
),

metric_kinds as (
    select * from {{ ref('metrics') }}
),

answer_observations as (
    select
        client_id,
        response_id,
        industry_code,
        touchpoint_code,
        unit,
        responded_at,
        metric_code,
        points
    from scored
    where metric_code in ('nps', 'csat', 'ces', 'osat')
),

cx_index_observations as (
    select
        client_id,
        response_id,
        industry_code,
        touchpoint_code,
        unit,
        responded_at,
        'cx_index' as metric_code,
        cx_index as points
    from responses
    where cx_index is not null
),

-- Share of responses with a comment, over the responses of clients that ask for one.
comment_observations as (
    select
        client_id,
        response_id,
        industry_code,
        touchpoint_code,
        unit,
        responded_at,
        'comment' as metric_code,
        case when has_comment then 100.0 else 0.0 end as points
    from responses
    where asks_comment
),

unioned as (
    select * from answer_observations
    union all
    select * from cx_index_observations
    union all
    select * from comment_observations
),

final as (
    select
        unioned.*,
        metric_kinds.statistic_kind,
        date_trunc('month', unioned.responded_at)::date as month_start
    from unioned
    inner join metric_kinds
        on unioned.metric_code = metric_kinds.metric_code
)

select * from final
