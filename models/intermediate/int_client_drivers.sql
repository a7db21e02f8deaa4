-- Key drivers of NPS per client × touchpoint (and '*') × quarter and year × driver: each index
-- component and each other scale metric asked in the same responses as the NPS question, with
-- its importance (Pearson r of its norm with the NPS answer over the responses that have both,
-- 95 % Fisher-z interval) and its performance (mean norm over all its answers), rolled up from
-- the monthly sums of int_client_driver_months.
with

monthly as (
    select * from {{ ref('int_client_driver_months') }}
),

weights as (
    select * from {{ ref('cx_index_weights') }}
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
