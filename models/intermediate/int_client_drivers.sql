-- Key drivers of NPS per client × touchpoint (and '*') × quarter and year × driver: each index
-- component and each other scale metric asked in the same responses as the NPS question, with
-- its importance (Pearson r of its norm with the NPS answer over the responses that have both,
-- 95 % Fisher-z interval) and its performance (mean norm over all its answers).
with

scored as (
    select * from {{ ref('int_answers_scored') }}
),

responses as (
    select * from {{ ref('int_responses_summarised') }}
),

metrics as (
    select * from {{ ref('metrics') }}
),

weights as (
    select * from {{ ref('cx_index_weights') }}
),

-- A driver is any metric answered on a scale that is not NPS itself (a component asked twice
-- in one response counts once, with the mean of its norms).
driver_answers as (
    select
        scored.client_id,
        scored.response_id,
        scored.metric_code as driver_code,
        avg(scored.norm) as driver_norm
    from scored
    inner join metrics
        on scored.metric_code = metrics.metric_code
    where metrics.metric_kind in ('top2box', 'mean_norm', 'mean_rescaled')
    group by scored.client_id, scored.response_id, scored.metric_code
),

nps_answers as (
    select
        scored.client_id,
        scored.response_id,
        avg(scored.score) as nps_score
    from scored
    inner join metrics
        on scored.metric_code = metrics.metric_code
    where metrics.metric_kind = 'nps'
    group by scored.client_id, scored.response_id
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
monthly as (
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
),

by_period as (
    {% for grain in ['quarter', 'year'] -%}
        select
            *,
            '{{ grain }}' as period_grain,
            {{ period_label(grain, 'month_start') }} as period,
            cast(date_trunc('{{ grain }}', month_start) as date) as period_start
        from monthly
        {% if not loop.last %}union all{% endif %}
    {% endfor -%}
),

rolled_up as (
    select
        client_id,
        industry_code,
        coalesce(touchpoint_code, '*') as touchpoint_code,
        period_grain,
        period,
        period_start,
        driver_code,
        cast(sum(n_answers) as bigint) as n_answers,
        sum(sum_norm) / sum(n_answers) as performance,
        cast(sum(n_pairs) as bigint) as n_pairs,
        coalesce(sum(sum_x), 0) as sum_x,
        coalesce(sum(sum_y), 0) as sum_y,
        coalesce(sum(sum_x2), 0) as sum_x2,
        coalesce(sum(sum_y2), 0) as sum_y2,
        coalesce(sum(sum_xy), 0) as sum_xy
    from by_period
    group by grouping sets (
        (client_id, industry_code, touchpoint_code, period_grain, period, period_start, driver_code),
        (client_id, industry_code, period_grain, period, period_start, driver_code)
    )
),

correlated as (
    select
        *,
        case
            when n_pairs >= {{ var('min_driver_pairs') }}
                then {{ pearson_correlation('n_pairs', 'sum_x', 'sum_y', 'sum_x2', 'sum_y2', 'sum_xy') }}
        end as importance
    from rolled_up
),

-- A component of several indexes is shown with the first of them (by code).
component_of as (
    select
        metric_code,
        min(index_code) as index_code
    from weights
    group by metric_code
),

final as (
    select
        {{ surrogate_key([
            'correlated.client_id', 'correlated.touchpoint_code', 'correlated.period',
            'correlated.driver_code',
        ]) }} as client_driver_id,
        correlated.client_id,
        correlated.industry_code,
        correlated.touchpoint_code,
        correlated.period_grain,
        correlated.period,
        correlated.period_start,
        correlated.driver_code,
        component_of.index_code,
        correlated.n_answers,
        correlated.performance,
        correlated.n_pairs,
        correlated.importance,
        {{ fisher_interval('correlated.importance', 'correlated.n_pairs', -1) }} as importance_ci_low,
        {{ fisher_interval('correlated.importance', 'correlated.n_pairs', 1) }} as importance_ci_high,
        case
            when correlated.n_pairs < {{ var('min_driver_pairs') }} then 'too_few_pairs'
            when correlated.importance is null then 'no_variance'
        end as missing_reason
    from correlated
    left join component_of
        on correlated.driver_code = component_of.metric_code
)

select * from final
