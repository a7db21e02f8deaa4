-- Each client's latest 7 days, the 7 days before them and a rolling baseline (the
-- alert_7d_baseline_weeks 7-day windows before the latest), per touchpoint (and '*') × metric,
-- from additive sums: the 7-day window of fct_client_alerts.
with

client_days as (
    select * from {{ ref('int_client_metric_days') }}
),

-- A client's latest day is the day of its newest answer, whatever the touchpoint or metric.
latest_days as (
    select
        client_id,
        max(responded_date) as as_of_date
    from client_days
    group by client_id
),

{{ metric_windows('latest_windows', 'client_days', 'latest_days') }}

final as (
    select
        client_id,
        industry_code,
        touchpoint_code,
        metric_code,
        statistic_kind,
        window_name,
        window_start,
        window_end,
        n,
        sum_x,
        sum_x2,
        period,
        value,
        standard_error
    from latest_windows
)

select * from final
