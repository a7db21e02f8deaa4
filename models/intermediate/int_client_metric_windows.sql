-- Each client's latest 7 days, the 7 days before them and a rolling baseline (the
-- alert_7d_baseline_weeks 7-day windows before the latest), per touchpoint (and '*') × metric,
-- from additive sums: the 7-day window of fct_client_alerts.
with

observations as (
    select * from {{ ref('int_metric_observations') }}
),

-- Sums per UTC day first: the windows are whole days, and the daily table is small.
daily_sums as (
    select
        client_id,
        industry_code,
        touchpoint_code,
        metric_code,
        statistic_kind,
        cast(responded_at as date) as responded_date,
        count(*) as n,
        sum(points) as sum_x,
        sum(points * points) as sum_x2
    from observations
    group by all
),

-- A client's latest day is the day of its newest answer, whatever the touchpoint or metric.
latest_days as (
    select
        client_id,
        max(responded_date) as latest_date
    from daily_sums
    group by client_id
),

-- weeks_back 0: latest_date − 6 … latest_date; 1: the 7 days before them; and so on.
dated_sums as (
    select
        daily_sums.*,
        latest_days.latest_date,
        (latest_days.latest_date - daily_sums.responded_date) // 7 as weeks_back
    from daily_sums
    inner join latest_days
        on daily_sums.client_id = latest_days.client_id
    where
        daily_sums.responded_date
        > latest_days.latest_date - 7 * ({{ var('alert_7d_baseline_weeks') }} + 1)
),

-- Each window as the weeks back it spans (first_week … last_week).
window_spans as (
    select
        'latest_7_days' as window_name,
        0 as first_week,
        0 as last_week
    union all
    select
        'previous_7_days' as window_name,
        1 as first_week,
        1 as last_week
    union all
    select
        'baseline' as window_name,
        1 as first_week,
        {{ var('alert_7d_baseline_weeks') }} as last_week
),

windowed_sums as (
    select
        dated_sums.*,
        window_spans.window_name,
        window_spans.first_week,
        window_spans.last_week
    from dated_sums
    inner join window_spans
        on dated_sums.weeks_back between window_spans.first_week and window_spans.last_week
),

rolled_up as (
    select
        client_id,
        industry_code,
        coalesce(touchpoint_code, '*') as touchpoint_code,
        metric_code,
        statistic_kind,
        window_name,
        cast(latest_date - 7 * last_week - 6 as date) as window_start,
        cast(latest_date - 7 * first_week as date) as window_end,
        cast(sum(n) as bigint) as n,
        sum(sum_x) as sum_x,
        sum(sum_x2) as sum_x2
    from windowed_sums
    group by grouping sets (
        (
            client_id, industry_code, touchpoint_code, metric_code, statistic_kind,
            window_name, latest_date, first_week, last_week
        ),
        (
            client_id, industry_code, metric_code, statistic_kind,
            window_name, latest_date, first_week, last_week
        )
    )
),

final as (
    select
        *,
        strftime(window_start, '%Y-%m-%d') || '…' || strftime(window_end, '%Y-%m-%d') as period,
        sum_x / n as value,
        {{ standard_error('statistic_kind', 'n', 'sum_x', 'sum_x2') }} as standard_error
    from rolled_up
)

select * from final
