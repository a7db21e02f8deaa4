-- What fixing each touchpoint is worth to a client's overall NPS: if the touchpoint reached its
-- industry's published median, the client's NPS over all touchpoints would move by the
-- touchpoint's share of the client's NPS answers × (median − its NPS there). Quarters and
-- years, for every NPS-kind metric of the catalogue; no figure without a published median.
with

client_periods as (
    select * from {{ ref('int_client_metric_periods') }}
),

cells as (
    select * from {{ ref('fct_benchmark_cells') }}
),

metrics as (
    select * from {{ ref('metrics') }}
),

nps_periods as (
    select client_periods.*
    from client_periods
    inner join metrics
        on client_periods.metric_code = metrics.metric_code
    where metrics.metric_kind = 'nps' and client_periods.period_grain in ('quarter', 'year')
),

overall as (
    select
        client_id,
        period,
        metric_code,
        n as client_n,
        value as client_value
    from nps_periods
    where touchpoint_code = '*'
),

touchpoints as (
    select
        nps_periods.client_id,
        nps_periods.industry_code,
        nps_periods.touchpoint_code,
        nps_periods.period_grain,
        nps_periods.period,
        nps_periods.metric_code,
        nps_periods.n,
        nps_periods.value,
        overall.client_n,
        overall.client_value,
        nps_periods.n / overall.client_n as answer_share
    from nps_periods
    inner join overall
        on
            nps_periods.client_id = overall.client_id
            and nps_periods.period = overall.period
            and nps_periods.metric_code = overall.metric_code
    where nps_periods.touchpoint_code != '*'
),

final as (
    select
        {{ surrogate_key([
            'touchpoints.client_id', 'touchpoints.touchpoint_code', 'touchpoints.period',
            'touchpoints.metric_code',
        ]) }} as touchpoint_impact_id,
        touchpoints.client_id,
        touchpoints.industry_code,
        touchpoints.touchpoint_code,
        touchpoints.period_grain,
        touchpoints.period,
        touchpoints.metric_code,
        touchpoints.n,
        touchpoints.value,
        touchpoints.client_n,
        touchpoints.client_value,
        touchpoints.answer_share,
        case when cells.is_published then cells.median end as industry_median,
        case when cells.is_published then cells.median - touchpoints.value end as gap,
        case
            when cells.is_published then touchpoints.answer_share * (cells.median - touchpoints.value)
        end as impact_on_client_nps,
        case
            when cells.is_published is null then 'no_benchmark'
            when not cells.is_published then cells.suppressed_reason
        end as missing_reason
    from touchpoints
    left join cells
        on
            touchpoints.industry_code = cells.industry_code
            and touchpoints.touchpoint_code = cells.touchpoint_code
            and touchpoints.period = cells.period
            and touchpoints.metric_code = cells.metric_code
)

select * from final
