-- Theme benchmark cells: the share of comments raising each theme, by industry × touchpoint ×
-- period × NPS group (with '*' roll-ups), over the clients that contribute, under the
-- publication rule of DESIGN §5; p10 and p90 only with enough contributors (§5.1).
with

client_periods as (
    select * from {{ ref('int_client_comment_theme_periods') }}
),

contributions as (
    select * from {{ ref('int_theme_benchmark_contributions') }}
),

-- Cells that have comments but no contributor still appear, as too_few_clients.
all_cells as (
    select distinct
        industry_code,
        touchpoint_code,
        period_grain,
        period,
        period_start,
        theme_code,
        nps_group
    from client_periods
    union
    select distinct
        '*' as industry_code,
        touchpoint_code,
        period_grain,
        period,
        period_start,
        theme_code,
        nps_group
    from client_periods
),

cell_statistics as (
    select
        industry_code,
        touchpoint_code,
        period,
        theme_code,
        nps_group,
        count(*) as n_clients,
        cast(sum(n_comments) as bigint) as n_comments,
        100.0 * sum(n_theme_comments) / sum(n_comments) as pooled_share,
        avg(theme_share) as mean_share,
        percentile_cont(0.10) within group (order by theme_share) as p10,
        percentile_cont(0.25) within group (order by theme_share) as p25,
        percentile_cont(0.50) within group (order by theme_share) as median,
        percentile_cont(0.75) within group (order by theme_share) as p75,
        percentile_cont(0.90) within group (order by theme_share) as p90,
        1.0 * max(n_comments) / sum(n_comments) as max_client_share
    from contributions
    group by industry_code, touchpoint_code, period, theme_code, nps_group
),

judged as (
    select
        all_cells.*,
        coalesce(cell_statistics.n_clients, 0) as n_clients,
        cell_statistics.n_comments,
        cell_statistics.pooled_share,
        cell_statistics.mean_share,
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
            and all_cells.theme_code = cell_statistics.theme_code
            and all_cells.nps_group = cell_statistics.nps_group
),

final as (
    select
        {{ surrogate_key(['industry_code', 'touchpoint_code', 'period', 'theme_code', 'nps_group']) }}
            as theme_cell_id,
        industry_code,
        touchpoint_code,
        period_grain,
        period,
        period_start,
        theme_code,
        nps_group,
        n_clients,
        suppressed_reason is null as is_published,
        suppressed_reason,
        -- Withheld unless published: these could reveal one client's figures.
        case when suppressed_reason is null then n_comments end as n_comments,
        case when suppressed_reason is null then pooled_share end as value,
        case when suppressed_reason is null then mean_share end as mean,
        case
            when suppressed_reason is null and n_clients >= {{ var('min_clients_p10_p90') }}
                then p10
        end as p10,
        case when suppressed_reason is null then p25 end as p25,
        case when suppressed_reason is null then median end as median,
        case when suppressed_reason is null then p75 end as p75,
        case
            when suppressed_reason is null and n_clients >= {{ var('min_clients_p10_p90') }}
                then p90
        end as p90,
        case
            when suppressed_reason is null
                then {{ critical_z() }} * sqrt(pooled_share * (100 - pooled_share) / n_comments)
        end as moe,
        case when suppressed_reason is null then max_client_share end as max_client_share
    from judged
)

select * from final
