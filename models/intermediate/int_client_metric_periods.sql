-- A client's own value per touchpoint (and '*' = all its touchpoints) × period × metric, from
-- the additive sums n, Σpoints, Σpoints² so months roll up to quarters and years exactly.
-- is_contributor marks the client values a benchmark cell may use (DESIGN §5).
with

observations as (
    select * from {{ ref('int_metric_observations') }}
),

rolled_up as (
    {{ roll_up_periods('observations', ['client_id', 'industry_code']) }}
),

final as (
    select
        *,
        sum_x / n as value,
        {{ observation_variance('statistic_kind', 'n', 'sum_x', 'sum_x2') }} as variance,
        {{ standard_error('statistic_kind', 'n', 'sum_x', 'sum_x2') }} as standard_error,
        n >= {{ var('min_client_responses') }} as is_contributor
    from rolled_up
)

select * from final
