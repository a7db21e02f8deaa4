-- What each client contributes to the industry driver benchmarks: one row per industry (its
-- own and '*') × touchpoint × period × driver × client whose importance could be computed,
-- with its paired responses n and its importance as value. The cells over it apply the
-- publication rules; a disclosure-control step over per-client contributions can read this
-- relation as it reads the metric contributions.
with

client_drivers as (
    select * from {{ ref('int_client_drivers') }}
),

contributors as (
    select
        industry_code,
        touchpoint_code,
        period_grain,
        period,
        period_start,
        driver_code,
        client_id,
        n_pairs as n,
        importance as value
    from client_drivers
    where importance is not null
),

final as (
    select * from contributors
    union all
    select
        {{ star_replace(
            ['industry_code', 'touchpoint_code', 'period_grain', 'period', 'period_start',
             'driver_code', 'client_id', 'n', 'value'],
            {'industry_code': "'*'"},
        ) }}
    from contributors
)

select * from final
