-- The metrics of DESIGN §4 with their value range and statistic kind.
with

metrics as (
    select * from {{ ref('metrics') }}
),

final as (
    select
        metric_code,
        metric_name,
        statistic_kind,
        value_min,
        value_max,
        description
    from metrics
)

select * from final
