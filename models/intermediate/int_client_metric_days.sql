-- Each client's additive sums per touchpoint × metric × UTC day: what the 7-day alert windows
-- (int_client_metric_windows, and fct_client_alerts' earlier windows) add up.
with

observations as (
    select * from {{ ref('int_metric_observations') }}
),

final as (
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
)

select * from final
