-- A client's own value per touchpoint (and '*' = all its touchpoints) × period × metric, from
-- the additive sums n, Σpoints, Σpoints² so months roll up to quarters and years exactly.
-- is_contributor marks the client values a benchmark cell may use (DESIGN §5).
with

observations as (
    select * from {{ ref('int_metric_observations') }}
),

monthly as (
    select
        client_id,
        industry_code,
        touchpoint_code,
        metric_code,
        statistic_kind,
        month_start,
        count(*) as n,
        sum(points) as sum_x,
        sum(points * points) as sum_x2
    from observations
    group by all
),

{% set grains = ['month', 'quarter', 'year'] %}
by_period as (
    {% for grain in grains %}
        select
            client_id,
            industry_code,
            touchpoint_code,
            metric_code,
            statistic_kind,
            '{{ grain }}' as period_grain,
            {{ period_label(grain, 'month_start') }} as period,
            date_trunc('{{ grain }}', month_start)::date as period_start,
            n,
            sum_x,
            sum_x2
        from monthly
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

rolled_up as (
    select
        client_id,
        industry_code,
        coalesce(touchpoint_code, '*') as touchpoint_code,
        metric_code,
        statistic_kind,
        period_grain,
        period,
        period_start,
        cast(sum(n) as bigint) as n,
        sum(sum_x) as sum_x,
        sum(sum_x2) as sum_x2
    from by_period
    group by grouping sets (
        (client_id, industry_code, touchpoint_code, metric_code, statistic_kind, period_grain, period, period_start),
        (client_id, industry_code, metric_code, statistic_kind, period_grain, period, period_start)
    )
),

final as (
    select
        *,
        sum_x / n as value,
        {{ standard_error('statistic_kind', 'n', 'sum_x', 'sum_x2') }} as standard_error,
        n >= {{ var('min_client_responses') }} as is_contributor
    from rolled_up
)

select * from final
