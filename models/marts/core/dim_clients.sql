-- Registered clients with their industry. Served only to the client itself and its consultants.
with

clients as (
    select * from {{ ref('clients') }}
),

industries as (
    select * from {{ ref('industries') }}
),

final as (
    select
        clients.client_id,
        clients.client_name,
        clients.industry_code,
        industries.industry_name,
        clients.country
    from clients
    inner join industries
        on clients.industry_code = industries.industry_code
)

select * from final
