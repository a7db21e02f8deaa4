-- Each client's scorecard: per client × touchpoint (and '*') × period × metric, its own value
-- with n, margin of error and 95% confidence interval; the statistics of its industry's
-- benchmark cell when that cell is published; its percentile rank among the cell's
-- contributors; and the change vs the previous period of the same grain with its z and
-- significance (DESIGN §5). A row holds one client's own figures and published cell
-- statistics only, never another client's values.
--
-- Incremental (DuckDB): a build recomputes only the periods of the years its deliveries touched
-- (the cells of such a year, and so every client's percentile rank there, may all have
-- changed) and the first month, quarter and year after each (whose change reads a touched
-- period), from those periods and the ones before them; the pre_hook deletes them first.
{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='append',
        pre_hook="{{ delete_touched_years(and_following=true) }}",
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_delivery_touched_months') }}

with

-- On an incremental build: the recomputed periods and the ones before them (for the change).
client_periods as (
    select * from {{ ref('int_client_metric_periods') }} as client_periods
    {% if is_incremental() %}
        where
            {{ in_touched_or_following_years(
                'client_periods.period_grain', 'client_periods.period_start'
            ) }}
            or {{ in_touched_years(next_period_start(
                'client_periods.period_grain', 'client_periods.period_start'
            )) }}
    {% endif %}
),

cells as (
    select * from {{ ref('fct_benchmark_cells') }} as cells
    {% if is_incremental() %}
        where {{ in_touched_or_following_years('cells.period_grain', 'cells.period_start') }}
    {% endif %}
),

metrics as (
    select * from {{ ref('metrics') }}
),

-- Contributors of published industry cells: a percentile rank exists only for them.
rankable as (
    select client_periods.*
    from client_periods
    inner join cells
        on
            client_periods.industry_code = cells.industry_code
            and client_periods.touchpoint_code = cells.touchpoint_code
            and client_periods.period = cells.period
            and client_periods.metric_code = cells.metric_code
    where client_periods.is_contributor and cells.is_published
),

-- 100 · (#values below + ½ · #equal) / n_clients over the cell's contributors, the client's
-- own value included. Values within 1e-9 are equal, so float rounding cannot split a tie.
percentile_ranks as (
    select
        own.client_id,
        own.touchpoint_code,
        own.period,
        own.metric_code,
        {{ as_double('100.0') }} * (
            count(*) filter (where other.value < own.value - 1e-9)
            + 0.5 * count(*) filter (where abs(other.value - own.value) <= 1e-9)
        ) / count(*) as percentile_rank
    from rankable as own
    inner join rankable as other
        on
            own.industry_code = other.industry_code
            and own.touchpoint_code = other.touchpoint_code
            and own.period = other.period
            and own.metric_code = other.metric_code
    group by own.client_id, own.touchpoint_code, own.period, own.metric_code
),

changes as (
    {{ previous_period_change('client_periods', ['client_id']) }}
),

final as (
    select
        {{ surrogate_key(['changes.client_id', 'changes.touchpoint_code', 'changes.period', 'changes.metric_code']) }}
            as scorecard_id,
        changes.client_id,
        changes.industry_code,
        changes.touchpoint_code,
        changes.period_grain,
        changes.period,
        changes.period_start,
        changes.metric_code,
        changes.n,
        changes.value,
        changes.standard_error,
        {{ margin_of_error('changes.standard_error') }} as moe,
        {{ confidence_limit(
            'low', 'changes.value', 'changes.standard_error', 'metrics.value_min', 'metrics.value_max'
        ) }} as ci_low,
        {{ confidence_limit(
            'high', 'changes.value', 'changes.standard_error', 'metrics.value_min', 'metrics.value_max'
        ) }} as ci_high,
        changes.is_contributor,
        cells.n_clients as benchmark_n_clients,
        cells.is_published as is_benchmark_published,
        cells.suppressed_reason as benchmark_suppressed_reason,
        -- fct_benchmark_cells already withholds these when the cell is suppressed.
        cells.value as benchmark_value,
        cells.mean as benchmark_mean,
        cells.p10 as benchmark_p10,
        cells.p25 as benchmark_p25,
        cells.median as benchmark_median,
        cells.p75 as benchmark_p75,
        cells.p90 as benchmark_p90,
        percentile_ranks.percentile_rank,
        changes.previous_period,
        changes.previous_n,
        changes.previous_value,
        changes.change,
        changes.change_z,
        abs(changes.change_z) > {{ critical_z() }} as is_change_significant
    from changes
    inner join metrics
        on changes.metric_code = metrics.metric_code
    left join cells
        on
            changes.industry_code = cells.industry_code
            and changes.touchpoint_code = cells.touchpoint_code
            and changes.period = cells.period
            and changes.metric_code = cells.metric_code
    left join percentile_ranks
        on
            changes.client_id = percentile_ranks.client_id
            and changes.touchpoint_code = percentile_ranks.touchpoint_code
            and changes.period = percentile_ranks.period
            and changes.metric_code = percentile_ranks.metric_code
    {% if is_incremental() %}
        -- Not the periods read only as the previous of a recomputed one.
        where {{ in_touched_or_following_years('changes.period_grain', 'changes.period_start') }}
    {% endif %}
)

select * from final
