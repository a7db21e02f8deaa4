-- Industry driver benchmarks: per industry (and '*') × touchpoint × period × driver, the
-- median and quartiles of the contributing clients' importances, published under the rules of
-- DESIGN §5 and §5.1 with the shared privacy macros: the per-cell rule, complementary
-- suppression over the families (n = paired responses), p10/p90 only from 10 contributors on,
-- and no quantile but the median when quantiles tie.
with

client_drivers as (
    select * from {{ ref('int_client_drivers') }}
),

contributions as (
    select * from {{ ref('int_driver_contributions') }}
),

-- Cells with answers but no contributor still appear, as too_few_clients.
all_cells as (
    select distinct
        industry_code,
        touchpoint_code,
        period_grain,
        period,
        period_start,
        driver_code
    from client_drivers
    union
    select distinct
        '*' as industry_code,
        touchpoint_code,
        period_grain,
        period,
        period_start,
        driver_code
    from client_drivers
),

cell_statistics as (
    select
        industry_code,
        touchpoint_code,
        period,
        driver_code,
        count(*) as n_clients,
        cast(sum(n) as bigint) as n_pairs,
        avg(value) as mean_importance,
        percentile_cont(0.10) within group (order by value) as p10,
        percentile_cont(0.25) within group (order by value) as p25,
        percentile_cont(0.50) within group (order by value) as median,
        percentile_cont(0.75) within group (order by value) as p75,
        percentile_cont(0.90) within group (order by value) as p90,
        max(n) / sum(n) as max_client_share
    from contributions
    group by industry_code, touchpoint_code, period, driver_code
),

judged as (
    select
        all_cells.*,
        coalesce(cell_statistics.n_clients, 0) as n_clients,
        cell_statistics.n_pairs,
        cell_statistics.mean_importance,
        cell_statistics.p10,
        cell_statistics.p25,
        cell_statistics.median,
        cell_statistics.p75,
        cell_statistics.p90,
        cell_statistics.max_client_share,
        coalesce({{ quantiles_tied(
            'cell_statistics.p10', 'cell_statistics.p25', 'cell_statistics.median',
            'cell_statistics.p75', 'cell_statistics.p90', 'cell_statistics.n_clients', '-1', '1'
        ) }}, false) as is_tied,
        {{ cell_suppressed_reason('cell_statistics.n_clients', 'cell_statistics.max_client_share') }}
            as suppressed_reason
    from all_cells
    left join cell_statistics
        on
            all_cells.industry_code = cell_statistics.industry_code
            and all_cells.touchpoint_code = cell_statistics.touchpoint_code
            and all_cells.period = cell_statistics.period
            and all_cells.driver_code = cell_statistics.driver_code
),

-- The macro's cell shape: n_responses is the cell's paired responses.
judged_cells as (
    select
        industry_code,
        touchpoint_code,
        period_grain,
        period,
        driver_code,
        n_pairs as n_responses,
        suppressed_reason
    from judged
),

-- §5.1: no family's parent minus its published children may single out a client.
decided as (
    {{ complementary_suppression('judged_cells', 'contributions', 'driver_code') }}
),

final as (
    select
        {{ surrogate_key(['judged.industry_code', 'judged.touchpoint_code', 'judged.period', 'judged.driver_code']) }}
            as driver_cell_id,
        judged.industry_code,
        judged.touchpoint_code,
        judged.period_grain,
        judged.period,
        judged.period_start,
        judged.driver_code,
        judged.n_clients,
        decided.suppressed_reason is null as is_published,
        decided.suppressed_reason,
        decided.suppression_round,
        decided.suppression_family,
        -- Withheld unless published: these could reveal one client's figures.
        case when decided.suppressed_reason is null then judged.n_pairs end as n_pairs,
        case when decided.suppressed_reason is null then judged.mean_importance end as mean_importance,
        {{ quantile_published('judged.p10', 'decided.suppressed_reason', 'judged.n_clients', true, 'judged.is_tied') }}
            as p10,
        {{ quantile_published('judged.p25', 'decided.suppressed_reason', 'judged.n_clients', false, 'judged.is_tied') }}
            as p25,
        {{ quantile_published('judged.median', 'decided.suppressed_reason', 'judged.n_clients') }} as median,
        {{ quantile_published('judged.p75', 'decided.suppressed_reason', 'judged.n_clients', false, 'judged.is_tied') }}
            as p75,
        {{ quantile_published('judged.p90', 'decided.suppressed_reason', 'judged.n_clients', true, 'judged.is_tied') }}
            as p90
    from judged
    inner join decided
        on
            judged.industry_code = decided.industry_code
            and judged.touchpoint_code = decided.touchpoint_code
            and judged.period = decided.period
            and judged.driver_code = decided.driver_code
)

select * from final
