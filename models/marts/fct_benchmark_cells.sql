-- Benchmark cells (industry × touchpoint × period × metric, with '*' roll-ups) over the
-- clients that contribute to each cell, and the publication rule of DESIGN §5: a cell is
-- published only with enough contributors and no dominant one; otherwise every statistic that
-- could reveal a single client is withheld and suppressed_reason says why.
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
    select * replace ('*' as industry_code) from contributors
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
            and all_cells.metric_code = cell_statistics.metric_code
),

final as (
    select
        {{ surrogate_key(['industry_code', 'touchpoint_code', 'period', 'metric_code']) }} as cell_id,
        industry_code,
        touchpoint_code,
        period_grain,
        period,
        period_start,
        metric_code,
        n_clients,
        suppressed_reason is null as is_published,
        suppressed_reason,
        -- Withheld unless published: these could reveal one client's figures.
        case when suppressed_reason is null then n_responses end as n_responses,
        case when suppressed_reason is null then pooled_value end as value,
        case when suppressed_reason is null then mean_value end as mean,
        case when suppressed_reason is null then p10 end as p10,
        case when suppressed_reason is null then p25 end as p25,
        case when suppressed_reason is null then median end as median,
        case when suppressed_reason is null then p75 end as p75,
        case when suppressed_reason is null then p90 end as p90,
        case when suppressed_reason is null then {{ margin_of_error('pooled_standard_error') }} end as moe,
        case when suppressed_reason is null then max_client_share end as max_client_share
    from judged
)

select * from final
