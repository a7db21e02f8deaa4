-- Significant drops per client × touchpoint (and '*') × metric, in two windows: the latest
-- month (vs the previous month, a rolling baseline, and a CUSUM for slow slides) and, where a
-- series has enough answers, the latest 7 days (vs the 7 days before and a rolling baseline).
-- One row per alert, named by its episode; see the doc block.
with

client_periods as (
    select * from {{ ref('int_client_metric_periods') }}
),

client_windows as (
    select * from {{ ref('int_client_metric_windows') }}
),

client_days as (
    select * from {{ ref('int_client_metric_days') }}
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

-- Months with enough answers for a stable standard error. Every such month is tested, so an
-- alert's episode can be traced back; the alerts are the tests of each client's latest month.
client_months as (
    select
        *,
        period_start as window_start
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

previous_months as (
    select
        client_months.client_id,
        client_months.touchpoint_code,
        client_months.metric_code,
        client_months.window_start,
        'previous_month' as comparison,
        previous.period as reference_period,
        previous.n as reference_n,
        previous.value as reference_value,
        previous.standard_error as reference_standard_error
    from client_months
    inner join client_months as previous
        on
            client_months.client_id = previous.client_id
            and client_months.touchpoint_code = previous.touchpoint_code
            and client_months.metric_code = previous.metric_code
            and previous.period_start = client_months.period_start - interval 1 month
),

-- The pooled answers of the baseline months before each month (additive sums).
baseline_sums as (
    select
        client_months.client_id,
        client_months.touchpoint_code,
        client_months.metric_code,
        client_months.window_start,
        client_months.statistic_kind,
        min(baseline.period) || '…' || max(baseline.period) as reference_period,
        cast(sum(baseline.n) as bigint) as reference_n,
        sum(baseline.sum_x) as sum_x,
        sum(baseline.sum_x2) as sum_x2
    from client_months
    inner join client_months as baseline
        on
            client_months.client_id = baseline.client_id
            and client_months.touchpoint_code = baseline.touchpoint_code
            and client_months.metric_code = baseline.metric_code
            and client_months.period_start > baseline.period_start
            and client_months.period_start - {{ interval_of(var('alert_baseline_months'), 'month') }}
            <= baseline.period_start
    group by
        client_months.client_id,
        client_months.touchpoint_code,
        client_months.metric_code,
        client_months.window_start,
        client_months.statistic_kind
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
    {{ window_comparisons('client_months', 'month_references') }}
),

-- The three alert CTEs share one column order (they are unioned by position).
z_alerts as (
    select
        month_comparisons.*,
        'month' as alert_window,
        cast(null as double) as cusum_statistic
    from month_comparisons
    inner join latest_months
        on
            month_comparisons.client_id = latest_months.client_id
            and month_comparisons.window_start = latest_months.period_start
    where {{ is_drop_alert('month_comparisons.change_z', var('alert_z')) }}
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
    inner join latest_months
        on
            cusum_statistics.client_id = latest_months.client_id
            and cusum_statistics.period_start = latest_months.period_start
    where cusum_statistics.cusum_statistic > {{ var('alert_cusum_h') }}
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

references_7_days as (
    {{ window_references('recent_windows') }}
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

all_alerts as (
    select * from z_alerts
    union all
    select * from cusum_alerts
    union all
    select * from z_alerts_7_days
),

-- Episodes. The 7-day windows of each earlier day of a client with a 7-day alert now, tested
-- the same way (its alerted client × metric only: the '*' series adds up every touchpoint).
alerted_7_day_metrics as (
    select distinct
        client_id,
        metric_code
    from z_alerts_7_days
),

history_days as (
    select client_days.*
    from client_days
    inner join alerted_7_day_metrics
        on
            client_days.client_id = alerted_7_day_metrics.client_id
            and client_days.metric_code = alerted_7_day_metrics.metric_code
),

-- The days a client's latest 7 days could have ended on: the days it has answers.
history_as_of_days as (
    select distinct
        client_id,
        responded_date as as_of_date
    from client_days
    where client_id in (select alerted_7_day_metrics.client_id from alerted_7_day_metrics)
),

{{ metric_windows('history_windows', 'history_days', 'history_as_of_days') }}

history_recent_windows as (
    select *
    from history_windows
    where n >= {{ var('alert_7d_min_answers') }}
),

history_latest_7_days as (
    select * from history_recent_windows
    where window_name = 'latest_7_days'
),

history_references as (
    {{ window_references('history_recent_windows') }}
),

history_comparisons as (
    {{ window_comparisons('history_latest_7_days', 'history_references') }}
),

-- Every window (month or 7 days) in which a series raised an alert, now or before.
alerted_windows as (
    select
        client_id,
        touchpoint_code,
        metric_code,
        'month' as alert_window,
        window_start
    from month_comparisons
    where {{ is_drop_alert('change_z', var('alert_z')) }}
    union all
    select
        client_id,
        touchpoint_code,
        metric_code,
        'month' as alert_window,
        period_start as window_start
    from cusum_statistics
    where cusum_statistic > {{ var('alert_cusum_h') }}
    union all
    select
        client_id,
        touchpoint_code,
        metric_code,
        '7_days' as alert_window,
        window_start
    from history_comparisons
    where {{ is_drop_alert('change_z', var('alert_7d_z')) }}
),

-- The windows that were each a client's latest in turn: its months, and the 7 days ending on
-- each of its days.
client_alert_windows as (
    select distinct
        client_id,
        'month' as alert_window,
        period_start as window_start
    from client_periods
    where period_grain = 'month'
    union all
    select
        client_id,
        '7_days' as alert_window,
        cast(as_of_date - 6 as date) as window_start
    from history_as_of_days
),

alerted_series as (
    select distinct
        client_id,
        touchpoint_code,
        metric_code,
        alert_window,
        window_start
    from all_alerts
),

-- The last of the client's earlier windows in which the series raised no alert.
last_quiet_windows as (
    select
        alerted_series.client_id,
        alerted_series.touchpoint_code,
        alerted_series.metric_code,
        alerted_series.alert_window,
        max(client_alert_windows.window_start) as quiet_start
    from alerted_series
    inner join client_alert_windows
        on
            alerted_series.client_id = client_alert_windows.client_id
            and alerted_series.alert_window = client_alert_windows.alert_window
            and alerted_series.window_start > client_alert_windows.window_start
    left join alerted_windows
        on
            alerted_series.client_id = alerted_windows.client_id
            and alerted_series.touchpoint_code = alerted_windows.touchpoint_code
            and alerted_series.metric_code = alerted_windows.metric_code
            and alerted_series.alert_window = alerted_windows.alert_window
            and client_alert_windows.window_start = alerted_windows.window_start
    where alerted_windows.client_id is null
    group by
        alerted_series.client_id,
        alerted_series.touchpoint_code,
        alerted_series.metric_code,
        alerted_series.alert_window
),

-- An episode starts at the first window after the last quiet one (or the client's first).
episodes as (
    select
        alerted_series.client_id,
        alerted_series.touchpoint_code,
        alerted_series.metric_code,
        alerted_series.alert_window,
        coalesce(min(client_alert_windows.window_start), alerted_series.window_start)
            as episode_start
    from alerted_series
    left join last_quiet_windows
        on
            alerted_series.client_id = last_quiet_windows.client_id
            and alerted_series.touchpoint_code = last_quiet_windows.touchpoint_code
            and alerted_series.metric_code = last_quiet_windows.metric_code
            and alerted_series.alert_window = last_quiet_windows.alert_window
    left join client_alert_windows
        on
            alerted_series.client_id = client_alert_windows.client_id
            and alerted_series.alert_window = client_alert_windows.alert_window
            and alerted_series.window_start >= client_alert_windows.window_start
            and (
                last_quiet_windows.quiet_start is null
                or last_quiet_windows.quiet_start < client_alert_windows.window_start
            )
    group by
        alerted_series.client_id,
        alerted_series.touchpoint_code,
        alerted_series.metric_code,
        alerted_series.alert_window,
        alerted_series.window_start
),

final as (
    select
        {{ surrogate_key([
            'all_alerts.client_id', 'all_alerts.touchpoint_code', 'all_alerts.metric_code',
            'all_alerts.alert_window', 'episodes.episode_start', 'all_alerts.comparison'
        ]) }} as alert_id,
        {{ surrogate_key([
            'all_alerts.client_id', 'all_alerts.touchpoint_code', 'all_alerts.metric_code',
            'all_alerts.alert_window', 'episodes.episode_start'
        ]) }} as episode_id,
        all_alerts.client_id,
        all_alerts.industry_code,
        all_alerts.touchpoint_code,
        all_alerts.metric_code,
        all_alerts.alert_window,
        all_alerts.period,
        cast(all_alerts.window_start as date) as window_start,
        cast(
            case
                when all_alerts.alert_window = 'month'
                    then all_alerts.window_start + interval 1 month - interval 1 day
                else all_alerts.window_start + interval 6 day
            end as date
        ) as window_end,
        cast(episodes.episode_start as date) as episode_start,
        all_alerts.comparison,
        all_alerts.n,
        all_alerts.value,
        all_alerts.standard_error,
        all_alerts.reference_period,
        all_alerts.reference_n,
        all_alerts.reference_value,
        all_alerts.reference_standard_error,
        all_alerts.change,  -- noqa: RF04
        all_alerts.change_z,
        all_alerts.cusum_statistic
    from all_alerts
    inner join episodes
        on
            all_alerts.client_id = episodes.client_id
            and all_alerts.touchpoint_code = episodes.touchpoint_code
            and all_alerts.metric_code = episodes.metric_code
            and all_alerts.alert_window = episodes.alert_window
)

select * from final
