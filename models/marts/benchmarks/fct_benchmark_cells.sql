-- Benchmark cells (industry × touchpoint × period × metric, with '*' roll-ups) over the
-- clients that contribute to each cell, and the publication rules of DESIGN §5 and §5.1: the
-- per-cell rule, then complementary suppression over the families; a withheld cell keeps only
-- its coordinates, n_clients and suppressed_reason.
with

client_periods as (
    select * from {{ ref('int_client_metric_periods') }}
),

contributors as (
    select * from client_periods
    where is_contributor
),

-- Each contributor counts in its own industry's cell and in the all-industries cell.
contributions as (
    select * from contributors
    union all
    select {{ star_replace(ref('int_client_metric_periods'), {'industry_code': "'*'"}) }} from contributors
),

-- Cells that have answers but no contributor still appear, as too_few_clients.
all_cells as (
    select distinct
        industry_code,
        touchpoint_code,
        period_grain,
        period,
        period_start,
        metric_code,
        statistic_kind
    from client_periods
    union
    select distinct
        '*' as industry_code,
        touchpoint_code,
        period_grain,
        period,
        period_start,
        metric_code,
        statistic_kind
    from client_periods
),

cell_statistics as (
    select
        industry_code,
        touchpoint_code,
        period_grain,
        period,
        metric_code,
        count(*) as n_clients,
        cast(sum(n) as bigint) as n_responses,
        sum(sum_x) / sum(n) as pooled_value,
        {{ standard_error('any_value(statistic_kind)', 'sum(n)', 'sum(sum_x)', 'sum(sum_x2)') }}
            as pooled_standard_error,
        avg(value) as mean_value,
        percentile_cont(0.10) within group (order by value) as p10,
        percentile_cont(0.25) within group (order by value) as p25,
        percentile_cont(0.50) within group (order by value) as median,
        percentile_cont(0.75) within group (order by value) as p75,
        percentile_cont(0.90) within group (order by value) as p90,
        max(n) / sum(n) as max_client_share
    from contributions
    group by industry_code, touchpoint_code, period_grain, period, metric_code
),

judged as (
    select
        all_cells.*,
        coalesce(cell_statistics.n_clients, 0) as n_clients,
        cell_statistics.n_responses,
        cell_statistics.pooled_value,
        cell_statistics.pooled_standard_error,
        cell_statistics.mean_value,
        cell_statistics.p10,
        cell_statistics.p25,
        cell_statistics.median,
        cell_statistics.p75,
        cell_statistics.p90,
        cell_statistics.max_client_share,
        coalesce({{ quantiles_tied(
            'cell_statistics.p10', 'cell_statistics.p25', 'cell_statistics.median',
            'cell_statistics.p75', 'cell_statistics.p90', 'cell_statistics.n_clients'
        ) }}, false) as is_tied,
        {{ cell_suppressed_reason('cell_statistics.n_clients', 'cell_statistics.max_client_share') }}
            as suppressed_reason
    from all_cells
    left join cell_statistics
        on
            all_cells.industry_code = cell_statistics.industry_code
            and all_cells.touchpoint_code = cell_statistics.touchpoint_code
            and all_cells.period = cell_statistics.period
            and all_cells.metric_code = cell_statistics.metric_code
),

-- §5.1: no family's parent minus its published children may single out a client.
decided as (
    {{ complementary_suppression('judged', 'contributions', 'metric_code') }}
),

final as (
    select
        {{ surrogate_key(['judged.industry_code', 'judged.touchpoint_code', 'judged.period', 'judged.metric_code']) }}
            as cell_id,
        judged.industry_code,
        judged.touchpoint_code,
        judged.period_grain,
        judged.period,
        judged.period_start,
        judged.metric_code,
        judged.n_clients,
        decided.suppressed_reason is null as is_published,
        decided.suppressed_reason,
        decided.suppression_round,
        decided.suppression_family,
        -- Withheld unless published: these could reveal one client's figures.
        case when decided.suppressed_reason is null then judged.n_responses end as n_responses,
        case when decided.suppressed_reason is null then judged.pooled_value end as value,
        case when decided.suppressed_reason is null then judged.mean_value end as mean,
        {{ quantile_published('judged.p10', 'decided.suppressed_reason', 'judged.n_clients', true, 'judged.is_tied') }}
            as p10,
        {{ quantile_published('judged.p25', 'decided.suppressed_reason', 'judged.n_clients', false, 'judged.is_tied') }}
            as p25,
        {{ quantile_published('judged.median', 'decided.suppressed_reason', 'judged.n_clients') }} as median,
        {{ quantile_published('judged.p75', 'decided.suppressed_reason', 'judged.n_clients', false, 'judged.is_tied') }}
            as p75,
        {{ quantile_published('judged.p90', 'decided.suppressed_reason', 'judged.n_clients', true, 'judged.is_tied') }}
            as p90,
        case
            when decided.suppressed_reason is null then {{ margin_of_error('judged.pooled_standard_error') }}
        end as moe,
        case when decided.suppressed_reason is null then judged.max_client_share end as max_client_share
    from judged
    inner join decided
        on
            judged.industry_code = decided.industry_code
            and judged.touchpoint_code = decided.touchpoint_code
            and judged.period = decided.period
            and judged.metric_code = decided.metric_code
)

select * from final
