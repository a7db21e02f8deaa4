-- A client's key drivers of NPS per touchpoint (and '*') × quarter and year, ready for an
-- importance–performance reading: each driver's importance with its interval, performance,
-- the median importance of its industry (and of all industries) where that cell is published,
-- its quadrant against the client's other drivers, and its rank (high importance with low
-- performance first).
with

client_drivers as (
    select * from {{ ref('int_client_drivers') }}
),

driver_cells as (
    select * from {{ ref('fct_driver_benchmark_cells') }}
),

metrics as (
    select * from {{ ref('metrics') }}
),

-- The client's own centre of its drivers: the matrix is read against these.
centres as (
    select
        client_id,
        touchpoint_code,
        period,
        avg(importance) as mean_importance,
        avg(performance) as mean_performance
    from client_drivers
    where importance is not null
    group by client_id, touchpoint_code, period
),

-- Priority: the importance weighted by the room left to improve (100 − performance).
assessed as (
    select
        client_drivers.*,
        metrics.metric_name as driver_name,
        case
            when client_drivers.importance is null then null
            when
                client_drivers.importance >= centres.mean_importance
                and client_drivers.performance < centres.mean_performance
                then 'fix_first'
            when client_drivers.importance >= centres.mean_importance then 'keep_up'
            when client_drivers.performance < centres.mean_performance then 'watch'
            else 'maintain'
        end as quadrant,
        client_drivers.importance * (100 - client_drivers.performance) / 100 as priority
    from client_drivers
    inner join metrics
        on client_drivers.driver_code = metrics.metric_code
    left join centres
        on
            client_drivers.client_id = centres.client_id
            and client_drivers.touchpoint_code = centres.touchpoint_code
            and client_drivers.period = centres.period
),

ranked as (
    select
        *,
        {{ as_bigint("row_number() over (
            partition by client_id, touchpoint_code, period
            order by
                quadrant = 'fix_first' desc,
                priority desc nulls last,
                driver_code asc
        )") }} as driver_rank
    from assessed
),

final as (
    select
        ranked.client_driver_id,
        ranked.client_id,
        ranked.industry_code,
        ranked.touchpoint_code,
        ranked.period_grain,
        ranked.period,
        ranked.period_start,
        ranked.driver_code,
        ranked.driver_name,
        ranked.index_code,
        ranked.driver_rank,
        ranked.quadrant,
        ranked.priority,
        ranked.n_answers,
        ranked.performance,
        ranked.n_pairs,
        ranked.importance,
        ranked.importance_ci_low,
        ranked.importance_ci_high,
        ranked.missing_reason,
        driver_cells.n_clients as industry_n_clients,
        driver_cells.suppressed_reason as industry_suppressed_reason,
        driver_cells.median as industry_median_importance,
        driver_cells.p25 as industry_p25_importance,
        driver_cells.p75 as industry_p75_importance,
        all_industries.median as all_industries_median_importance
    from ranked
    left join driver_cells
        on
            ranked.industry_code = driver_cells.industry_code
            and ranked.touchpoint_code = driver_cells.touchpoint_code
            and ranked.period = driver_cells.period
            and ranked.driver_code = driver_cells.driver_code
    left join driver_cells as all_industries
        on
            all_industries.industry_code = '*'
            and ranked.touchpoint_code = all_industries.touchpoint_code
            and ranked.period = all_industries.period
            and ranked.driver_code = all_industries.driver_code
)

select * from final
