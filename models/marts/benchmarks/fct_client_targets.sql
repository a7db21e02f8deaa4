-- Targets for consultants: for each client × touchpoint (and '*') × period × metric whose
-- industry cell is published, and each ambition (p50, p75 or p90 of that cell), the current
-- value, the target, the gap and what closing it takes: for NPS the detractors (or passives)
-- to turn into promoters per 100 answers, and for every metric the answers per period needed
-- to detect a change of the gap's size (two-sided 5% test, 80% power). A percentile the cell
-- withholds (p90 below min_clients_p10_p90 contributors, DESIGN §5.1) gives no target, and
-- target_withheld_reason says why. The metric rules live in the macros; the API only reads these rows.
with

client_periods as (
    select * from {{ ref('int_client_metric_periods') }}
),

metrics as (
    select * from {{ ref('metrics') }}
),

cells as (
    select * from {{ ref('fct_benchmark_cells') }}
    where is_published
),

ambitions as (
    select ambition_list.ambition from (values ('p50'), ('p75'), ('p90')) as ambition_list (ambition)
),

-- Each published cell's median, p75 and p90 as the targets of the three ambitions.
cell_targets as (
    select
        cells.industry_code,
        cells.touchpoint_code,
        cells.period,
        cells.metric_code,
        ambitions.ambition,
        case ambitions.ambition
            when 'p50' then cells.median
            when 'p75' then cells.p75
            when 'p90' then cells.p90
        end as target_value,
        cells.n_clients
    from cells
    cross join ambitions
),

joined as (
    select
        client_periods.client_id,
        client_periods.industry_code,
        client_periods.touchpoint_code,
        client_periods.period_grain,
        client_periods.period,
        client_periods.metric_code,
        client_periods.statistic_kind,
        metrics.metric_kind,
        cell_targets.ambition,
        client_periods.n,
        client_periods.sum_x,
        client_periods.sum_x2,
        client_periods.value as current_value,
        client_periods.variance as current_variance,
        cell_targets.target_value,
        case
            when cell_targets.target_value is not null then null
            when
                cell_targets.ambition = 'p90'
                and cell_targets.n_clients < {{ var('min_clients_p10_p90', 10) }}
                then 'too_few_clients_for_p90'
            else 'tied_quantiles'
        end as target_withheld_reason
    from client_periods
    inner join metrics
        on client_periods.metric_code = metrics.metric_code
    inner join cell_targets
        on
            client_periods.industry_code = cell_targets.industry_code
            and client_periods.touchpoint_code = cell_targets.touchpoint_code
            and client_periods.period = cell_targets.period
            and client_periods.metric_code = cell_targets.metric_code
),

gaps as (
    select
        *,
        target_value - current_value as gap,
        case when metric_kind = 'nps' then {{ nps_group_per_100('promoters', 'n', 'sum_x', 'sum_x2') }} end
            as promoters_per_100,
        case when metric_kind = 'nps' then {{ nps_group_per_100('passives', 'n', 'sum_x', 'sum_x2') }} end
            as passives_per_100,
        case when metric_kind = 'nps' then {{ nps_group_per_100('detractors', 'n', 'sum_x', 'sum_x2') }} end
            as detractors_per_100
    from joined
),

-- Only a positive gap has something to close; a met target needs no conversion and no test.
-- A gap within 1e-6 is met: the client whose own value is the cell's percentile would
-- otherwise get a float-noise gap and an astronomic sample size.
levers as (
    select
        *,
        gap <= 1e-6 as is_met,
        -- Each detractor turned promoter moves NPS by 200/n points, so the gap takes gap/2 of
        -- them per 100 answers; a passive turned promoter moves it by 100/n: gap per 100.
        case
            when metric_kind = 'nps' and gap is not null then case when gap > 1e-6 then gap / 2.0 else 0 end
        end as detractors_to_promoters_per_100,
        case
            when metric_kind = 'nps' and gap is not null then case when gap > 1e-6 then gap else 0 end
        end as passives_to_promoters_per_100,
        case
            when gap > 1e-6
                then {{ variance_at_target(
                    'metric_kind', 'statistic_kind', 'current_variance', 'target_value', 'gap',
                    'promoters_per_100', 'detractors_per_100'
                ) }}
        end as target_variance
    from gaps
),

final as (
    select
        {{ surrogate_key(['client_id', 'touchpoint_code', 'period', 'metric_code', 'ambition']) }} as target_id,
        client_id,
        industry_code,
        touchpoint_code,
        period_grain,
        period,
        metric_code,
        ambition,
        n,
        current_value,
        target_value,
        target_withheld_reason,
        gap,
        is_met,
        promoters_per_100,
        passives_per_100,
        detractors_per_100,
        detractors_to_promoters_per_100,
        passives_to_promoters_per_100,
        current_variance,
        target_variance,
        {{ answers_to_detect('current_variance', 'target_variance', 'gap') }} as answers_needed_per_period,
        n >= {{ answers_to_detect('current_variance', 'target_variance', 'gap') }} as has_enough_answers
    from levers
)

select * from final
