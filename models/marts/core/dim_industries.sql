-- Industries that benchmarks are cut by, with how many registered clients each has.
with

industries as (
    select * from {{ ref('industries') }}
),

clients as (
    select * from {{ ref('clients') }}
),

client_counts as (
    select
        industry_code,
        count(*) as n_registered_clients
    from clients
    group by industry_code
),

final as (
    select
        industries.industry_code,
        industries.industry_name,
        coalesce(client_counts.n_registered_clients, 0) as n_registered_clients
    from industries
    left join client_counts
        on industries.industry_code = client_counts.industry_code
)

select * from final
