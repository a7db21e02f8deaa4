-- The metric catalogue (seeds/metrics.csv) as the API serves it: every benchmarked metric and
-- every index component, with its kind, range, direction and statistic kind; index components
-- carry their index and weight.
with

metrics as (
    select * from {{ ref('metrics') }}
),

weights as (
    select * from {{ ref('cx_index_weights') }}
),

-- A component of several indexes is listed with the first of them (by code).
component_of as (
    select
        metric_code,
        min(index_code) as index_code,
        min_by(weight, index_code) as index_weight
    from weights
    group by metric_code
),

final as (
    select
        metrics.metric_code,
        metrics.metric_name,
        metrics.metric_kind,
        {{ statistic_kind('metrics.metric_kind') }} as statistic_kind,
        metrics.value_min,
        metrics.value_max,
        metrics.higher_is_better,
        metrics.is_benchmarked,
        metrics.touchpoint_code,
        component_of.index_code,
        component_of.index_weight,
        metrics.description
    from metrics
    left join component_of
        on metrics.metric_code = component_of.metric_code
)

select * from final
