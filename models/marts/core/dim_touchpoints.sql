-- Canonical touchpoints that benchmarks are cut by.
with

touchpoints as (
    select * from {{ ref('touchpoints') }}
),

final as (
    select
        touchpoint_code,
        touchpoint_name
    from touchpoints
)

select * from final
