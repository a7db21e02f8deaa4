-- Each client's additive sums for the key drivers of NPS per touchpoint × month × driver: the
-- driver's norm paired with the NPS answer of the same response (a response counts in the
-- month of its first answer), which int_client_drivers rolls up to quarters and years.
--
-- Incremental (DuckDB): a build recomputes only the client × months its deliveries touched
-- (int_delivery_touched_months: the month of a new delivery's response is among them); the
-- pre_hook deletes those months first.
{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='append',
        pre_hook="{{ delete_touched_months('month_start') }}",
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_delivery_touched_months') }}

with

-- (On an incremental run, the answers and responses are pre-filtered as the scan reads them:
-- a response in a touched month and its answers are at or after that month's start,
-- may_read_touched_months.)
scored as (
    select * from {{ ref('int_answers_scored') }}
    {% if is_incremental() %}
        where {{ may_read_touched_months('client_id', 'responded_at') }}
    {% endif %}
),

responses as (
    select * from {{ ref('int_responses_summarised') }}
    {% if is_incremental() %}
        where
            {{ may_read_touched_months('client_id', 'responded_at') }}
            and {{ in_touched_months('client_id', "cast(date_trunc('month', responded_at) as date)") }}
    {% endif %}
),

metrics as (
    select * from {{ ref('metrics') }}
),

-- The answers of those responses (all of them on a full build).
response_answers as (
    select * from scored
    {% if is_incremental() %}
        where exists (
            select 1
            from responses
            where
                responses.client_id = scored.client_id
                and responses.response_id = scored.response_id
        )
    {% endif %}
),

-- A driver is any metric answered on a scale that is not NPS itself (a component asked twice
-- in one response counts once, with the mean of its norms).
driver_answers as (
    select
        response_answers.client_id,
        response_answers.response_id,
        response_answers.metric_code as driver_code,
        avg(response_answers.norm) as driver_norm
    from response_answers
    inner join metrics
        on response_answers.metric_code = metrics.metric_code
    where metrics.metric_kind in ('top2box', 'mean_norm', 'mean_rescaled')
    group by response_answers.client_id, response_answers.response_id, response_answers.metric_code
),

nps_answers as (
    select
        response_answers.client_id,
        response_answers.response_id,
        avg(response_answers.score) as nps_score
    from response_answers
    inner join metrics
        on response_answers.metric_code = metrics.metric_code
    where metrics.metric_kind = 'nps'
    group by response_answers.client_id, response_answers.response_id
),

pairs as (
    select
        responses.client_id,
        responses.industry_code,
        responses.touchpoint_code,
        cast(date_trunc('month', responses.responded_at) as date) as month_start,
        driver_answers.driver_code,
        driver_answers.driver_norm as x,
        nps_answers.nps_score as y
    from driver_answers
    inner join responses
        on
            driver_answers.client_id = responses.client_id
            and driver_answers.response_id = responses.response_id
    left join nps_answers
        on
            driver_answers.client_id = nps_answers.client_id
            and driver_answers.response_id = nps_answers.response_id
),

-- Additive sums per month, so quarters and years roll up exactly.
final as (
    select
        client_id,
        industry_code,
        touchpoint_code,
        month_start,
        driver_code,
        count(*) as n_answers,
        sum(x) as sum_norm,
        count(y) as n_pairs,
        sum(case when y is not null then x end) as sum_x,
        sum(y) as sum_y,
        sum(case when y is not null then x * x end) as sum_x2,
        sum(y * y) as sum_y2,
        sum(x * y) as sum_xy
    from pairs
    group by all
)

select * from final
