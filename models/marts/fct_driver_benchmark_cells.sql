-- Industry driver benchmarks: per industry (and '*') × touchpoint × period × driver, the
-- median and quartiles of the contributing clients' importances, published under the rule of
-- DESIGN §5 (enough clients, no dominant one) with p10 and p90 only from 10 contributors on.
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
        case
            when coalesce(cell_statistics.n_clients, 0) < {{ var('min_clients') }}
                then 'too_few_clients'
            when cell_statistics.max_client_share > {{ var('max_client_share') }}
                then 'dominant_client'
        end as suppressed_reason
    from all_cells
    left join cell_statistics
        on
            all_cells.industry_code = cell_statistics.industry_code
            and all_cells.touchpoint_code = cell_statistics.touchpoint_code
            and all_cells.period = cell_statistics.period
            and all_cells.driver_code = cell_statistics.driver_code
),

final as (
    select
        {{ surrogate_key(['industry_code', 'touchpoint_code', 'period', 'driver_code']) }} as driver_cell_id,
        industry_code,
        touchpoint_code,
        period_grain,
        period,
        period_start,
        driver_code,
        n_clients,
        suppressed_reason is null as is_published,
        suppressed_reason,
        -- Withheld unless published: these could reveal one client's figures.
        case when suppressed_reason is null then n_pairs end as n_pairs,
        case when suppressed_reason is null then mean_importance end as mean_importance,
        -- With five contributors p10, p25, median, p75 and p90 would fix every value (§5.1).
        case
            when suppressed_reason is null and n_clients >= {{ var('min_clients_p10_p90') }} then p10
        end as p10,
        case when suppressed_reason is null then p25 end as p25,
        case when suppressed_reason is null then median end as median,
        case when suppressed_reason is null then p75 end as p75,
        case
            when suppressed_reason is null and n_clients >= {{ var('min_clients_p10_p90') }} then p90
        end as p90
    from judged
)

select * from final
