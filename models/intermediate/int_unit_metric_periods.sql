-- A client's unit (location, office, team) per touchpoint (and '*') × period × metric, from the
-- same additive sums as int_client_metric_periods. Units are compared only within their own
-- client, never across clients; observations without a unit are left out here (they still
-- count in the client's own value). is_ranked marks units with enough observations to rank.
with

observations as (
    select * from {{ ref('int_metric_observations') }}
    where unit is not null
),

rolled_up as (
    {{ roll_up_periods('observations', ['client_id', 'industry_code', 'unit']) }}
),

final as (
    select
        *,
        sum_x / n as value,
        {{ observation_variance('statistic_kind', 'n', 'sum_x', 'sum_x2') }} as variance,
        {{ standard_error('statistic_kind', 'n', 'sum_x', 'sum_x2') }} as standard_error,
        n >= {{ var('min_client_responses') }} as is_ranked
    from rolled_up
)

select * from final
