-- Theme benchmark cells: the share of comments raising each theme, by industry × touchpoint ×
-- period × NPS group (with '*' roll-ups), over the clients that contribute, under the rules of
-- DESIGN §5 and §5.1 with the shared privacy macros: the per-cell rule, complementary
-- suppression (n = comments; measure key theme × NPS group, and 'all' with its groups as one
-- more family), p10/p90 only from 10 contributors on, no quantile but the median on ties.
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
        coalesce({{ quantiles_tied(
            'cell_statistics.p10', 'cell_statistics.p25', 'cell_statistics.median',
            'cell_statistics.p75', 'cell_statistics.p90', 'cell_statistics.n_clients', '0', '100'
        ) }}, false) as is_tied,
        {{ cell_suppressed_reason('cell_statistics.n_clients', 'cell_statistics.max_client_share') }}
            as suppressed_reason
    from all_cells
    left join cell_statistics
        on
            all_cells.industry_code = cell_statistics.industry_code
            and all_cells.touchpoint_code = cell_statistics.touchpoint_code
            and all_cells.period = cell_statistics.period
            and all_cells.theme_code = cell_statistics.theme_code
            and all_cells.nps_group = cell_statistics.nps_group
),

-- The macro's cell shape: n_responses is the cell's comments.
judged_cells as (
    select
        industry_code,
        touchpoint_code,
        period_grain,
        period,
        theme_code,
        nps_group,
        n_comments as n_responses,
        suppressed_reason
    from judged
),

contribution_counts as (
    select
        industry_code,
        touchpoint_code,
        period_grain,
        period,
        theme_code,
        nps_group,
        client_id,
        n_comments as n
    from contributions
),

-- §5.1: no family's parent minus its published children may single out a client; 'all' and
-- its detractor, passive and promoter cells are a family too ('all' also holds the comments
-- of respondents without an NPS answer, which no group cell publishes).
decided as (
    {{ complementary_suppression(
        'judged_cells', 'contribution_counts', ['theme_code', 'nps_group'], 'nps_group', 'all'
    ) }}
),

final as (
    select
        {{ surrogate_key([
            'judged.industry_code', 'judged.touchpoint_code', 'judged.period',
            'judged.theme_code', 'judged.nps_group'
        ]) }} as theme_cell_id,
        judged.industry_code,
        judged.touchpoint_code,
        judged.period_grain,
        judged.period,
        judged.period_start,
        judged.theme_code,
        judged.nps_group,
        judged.n_clients,
        decided.suppressed_reason is null as is_published,
        decided.suppressed_reason,
        decided.suppression_round,
        decided.suppression_family,
        -- Withheld unless published: these could reveal one client's figures.
        case when decided.suppressed_reason is null then judged.n_comments end as n_comments,
        case when decided.suppressed_reason is null then judged.pooled_share end as value,
        -- Theme shares are small fractions k/n: the attack suite solved all six contributors of a
        -- default-demo cell from its quartiles, median and mean. So quartiles, like p10/p90,
        -- need min_clients_p10_p90 contributors here, and a tied cell shows no median or mean.
        case when decided.suppressed_reason is null and not judged.is_tied then judged.mean_share end
            as mean,
        {{ quantile_published('judged.p10', 'decided.suppressed_reason', 'judged.n_clients', true, 'judged.is_tied') }}
            as p10,
        {{ quantile_published('judged.p25', 'decided.suppressed_reason', 'judged.n_clients', true, 'judged.is_tied') }}
            as p25,
        {{ quantile_published(
            'judged.median', 'decided.suppressed_reason', 'judged.n_clients', false, 'judged.is_tied'
        ) }} as median,
        {{ quantile_published('judged.p75', 'decided.suppressed_reason', 'judged.n_clients', true, 'judged.is_tied') }}
            as p75,
        {{ quantile_published('judged.p90', 'decided.suppressed_reason', 'judged.n_clients', true, 'judged.is_tied') }}
            as p90,
        case
            when decided.suppressed_reason is null
                then {{ critical_z() }} * sqrt(judged.pooled_share * (100 - judged.pooled_share) / judged.n_comments)
        end as moe,
        case when decided.suppressed_reason is null then judged.max_client_share end as max_client_share
    from judged
    inner join decided
        on
            judged.industry_code = decided.industry_code
            and judged.touchpoint_code = decided.touchpoint_code
            and judged.period = decided.period
            and judged.theme_code = decided.theme_code
            and judged.nps_group = decided.nps_group
)

select * from final
