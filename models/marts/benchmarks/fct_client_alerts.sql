-- Significant drops per client × touchpoint (and '*') × metric, in two windows: the latest
-- month (vs the previous month, a rolling baseline, and a CUSUM for slow slides) and, where a
-- series has enough answers, the latest 7 days (vs the 7 days before and a rolling baseline).
-- Two-sided z tests with the standard-error macros. One row per alert; see the doc block.
with

client_periods as (
    select * from {{ ref('int_client_metric_periods') }}
),

client_windows as (
    select * from {{ ref('int_client_metric_windows') }}
),

metrics as (
    select * from {{ ref('metrics') }}
),

-- Every metric kind is a score that can drop, except comment shares.
scored_metrics as (
    select metric_code
    from metrics
    where metric_kind != 'comment_share'
),

-- Months with enough answers for a stable standard error.
client_months as (
    select *
    from client_periods
    where
        period_grain = 'month'
        and metric_code in (select scored_metrics.metric_code from scored_metrics)
        and n >= {{ var('min_client_responses') }}
),

-- Each client's latest month with any answer: a series that stopped before it is not tested.
latest_months as (
    select
        client_id,
        max(period_start) as period_start
    from client_periods
    where period_grain = 'month'
    group by client_id
),

current_months as (
    select
        client_months.*,
        client_months.period_start as window_start
    from client_months
    inner join latest_months
        on
            client_months.client_id = latest_months.client_id
            and client_months.period_start = latest_months.period_start
),

previous_months as (
    select
        current_months.client_id,
        current_months.touchpoint_code,
        current_months.metric_code,
        current_months.window_start,
        'previous_month' as comparison,
        previous.period as reference_period,
        previous.n as reference_n,
        previous.value as reference_value,
        previous.standard_error as reference_standard_error
    from current_months
    inner join client_months as previous
        on
            current_months.client_id = previous.client_id
            and current_months.touchpoint_code = previous.touchpoint_code
            and current_months.metric_code = previous.metric_code
            and previous.period_start = current_months.period_start - interval 1 month
),

-- The pooled answers of the baseline months before the current one (additive sums).
baseline_sums as (
    select
        current_months.client_id,
        current_months.touchpoint_code,
        current_months.metric_code,
        current_months.window_start,
        current_months.statistic_kind,
        min(baseline.period) || '…' || max(baseline.period) as reference_period,
        cast(sum(baseline.n) as bigint) as reference_n,
        sum(baseline.sum_x) as sum_x,
        sum(baseline.sum_x2) as sum_x2
    from current_months
    inner join client_months as baseline
        on
            current_months.client_id = baseline.client_id
            and current_months.touchpoint_code = baseline.touchpoint_code
            and current_months.metric_code = baseline.metric_code
            and current_months.period_start > baseline.period_start
            and current_months.period_start - {{ interval_of(var('alert_baseline_months'), 'month') }}
            <= baseline.period_start
    group by
        current_months.client_id,
        current_months.touchpoint_code,
        current_months.metric_code,
        current_months.window_start,
        current_months.statistic_kind
),

baselines as (
    select
        client_id,
        touchpoint_code,
        metric_code,
        window_start,
        'rolling_baseline' as comparison,
        reference_period,
        reference_n,
        sum_x / reference_n as reference_value,
        {{ standard_error('statistic_kind', 'reference_n', 'sum_x', 'sum_x2') }}
            as reference_standard_error
    from baseline_sums
),

month_references as (
    select * from previous_months
    union all
    select * from baselines
),

month_comparisons as (
    {{ window_comparisons('current_months', 'month_references') }}
),

-- The three alert CTEs share one column order (they are unioned by position).
z_alerts as (
    select
        *,
        'month' as alert_window,
        cast(null as double) as cusum_statistic
    from month_comparisons
    where {{ is_drop_alert('change_z', var('alert_z')) }}
),

-- The 7-day window: series with at least alert_7d_min_answers answers in the latest 7 days and
-- in the reference.
recent_windows as (
    select *
    from client_windows
    where
        metric_code in (select scored_metrics.metric_code from scored_metrics)
        and n >= {{ var('alert_7d_min_answers') }}
),

latest_7_days as (
    select * from recent_windows
    where window_name = 'latest_7_days'
),

-- Both references end the day before the latest 7 days start (window_start: the compared
-- window's first day).
references_7_days as (
    select
        client_id,
        touchpoint_code,
        metric_code,
        cast(window_end + 1 as date) as window_start,
        case
            when window_name = 'previous_7_days' then 'previous_7_days'
            else 'rolling_baseline'
        end as comparison,
        period as reference_period,
        n as reference_n,
        value as reference_value,
        standard_error as reference_standard_error
    from recent_windows
    where window_name in ('previous_7_days', 'baseline')
),

comparisons_7_days as (
    {{ window_comparisons('latest_7_days', 'references_7_days') }}
),

-- The same test at alert_7d_z: up to one 7-day window a day is tested, not one a month, so the
-- threshold is higher (the doc block gives the false alarms it allows).
z_alerts_7_days as (
    select
        *,
        '7_days' as alert_window,
        cast(null as double) as cusum_statistic
    from comparisons_7_days
    where {{ is_drop_alert('change_z', var('alert_7d_z')) }}
),

-- Slow slides: each series' first alert_cusum_reference_months months (with enough answers)
-- set its in-control level; every later month adds (level − value) / se − k, and the lower
-- CUSUM S = C − min(0, min C so far) (Page's recursion in closed form) alerts above h.
series_months as (
    select
        *,
        row_number() over (
            partition by client_id, touchpoint_code, metric_code order by period_start
        ) as month_number
    from client_months
),

cusum_references as (
    select
        client_id,
        touchpoint_code,
        metric_code,
        min(period) || '…' || max(period) as reference_period,
        cast(sum(n) as bigint) as reference_n,
        sum(sum_x) / sum(n) as reference_value
    from series_months
    where month_number <= {{ var('alert_cusum_reference_months') }}
    group by client_id, touchpoint_code, metric_code
    having count(*) = {{ var('alert_cusum_reference_months') }}
),

cusum_steps as (
    select
        series_months.*,
        cusum_references.reference_period,
        cusum_references.reference_n,
        cusum_references.reference_value,
        (cusum_references.reference_value - series_months.value) / series_months.standard_error
        - {{ var('alert_cusum_k') }} as step
    from series_months
    inner join cusum_references
        on
            series_months.client_id = cusum_references.client_id
            and series_months.touchpoint_code = cusum_references.touchpoint_code
            and series_months.metric_code = cusum_references.metric_code
    where
        series_months.month_number > {{ var('alert_cusum_reference_months') }}
        and series_months.standard_error > 0
),

cusum_sums as (
    select
        *,
        sum(step) over (
            partition by client_id, touchpoint_code, metric_code
            order by period_start rows between unbounded preceding and current row
        ) as cumulative
    from cusum_steps
),

cusum_statistics as (
    select
        *,
        cumulative - least(0, min(cumulative) over (
            partition by client_id, touchpoint_code, metric_code
            order by period_start rows between unbounded preceding and current row
        )) as cusum_statistic
    from cusum_sums
),

cusum_alerts as (
    select
        cusum_statistics.client_id,
        cusum_statistics.industry_code,
        cusum_statistics.touchpoint_code,
        cusum_statistics.metric_code,
        cusum_statistics.period,
        cusum_statistics.period_start as window_start,
        'cusum' as comparison,
        cusum_statistics.n,
        cusum_statistics.value,
        cusum_statistics.standard_error,
        cusum_statistics.reference_period,
        cusum_statistics.reference_n,
        cusum_statistics.reference_value,
        cast(null as double) as reference_standard_error,
        cusum_statistics.value - cusum_statistics.reference_value as change,  -- noqa: RF04
        cast(null as double) as change_z,
        'month' as alert_window,
        cusum_statistics.cusum_statistic
    from cusum_statistics
    inner join current_months
        on
            cusum_statistics.client_id = current_months.client_id
            and cusum_statistics.touchpoint_code = current_months.touchpoint_code
            and cusum_statistics.metric_code = current_months.metric_code
            and cusum_statistics.period_start = current_months.period_start
    where cusum_statistics.cusum_statistic > {{ var('alert_cusum_h') }}
),

all_alerts as (
    select * from z_alerts
    union all
    select * from cusum_alerts
    union all
    select * from z_alerts_7_days
),

final as (
    select
        {{ surrogate_key(['client_id', 'touchpoint_code', 'metric_code', 'period', 'comparison']) }}
            as alert_id,
        client_id,
        industry_code,
        touchpoint_code,
        metric_code,
        alert_window,
        period,
        cast(window_start as date) as window_start,
        cast(
            case
                when alert_window = 'month' then window_start + interval 1 month - interval 1 day
                else window_start + interval 6 day
            end as date
        ) as window_end,
        comparison,
        n,
        value,
        standard_error,
        reference_period,
        reference_n,
        reference_value,
        reference_standard_error,
        change,  -- noqa: RF04
        change_z,
        cusum_statistic
    from all_alerts
)

select * from final
