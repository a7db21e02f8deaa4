-- One row per response × weighted index (seeds/metrics.csv kind weighted_index, components and
-- weights in cx_index_weights): the weighted mean of the norms of its answered components,
-- kept only when at least half of the index's total weight is answered (DESIGN §4).
--
-- Incremental (DuckDB): a build recomputes only the responses with a row in its new
-- deliveries (in_batch_responses); the pre_hook deletes them first. A table, so its tests do
-- not each recompute every answer.
{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='append',
        pre_hook="{{ delete_batch_responses() }}",
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_delivery_touched_months') }}, {{ ref('int_answers_classified') }}

with

scored as (
    select * from {{ ref('int_answers_scored') }}
    {% if is_incremental() %}
        where {{ is_batch_answer('client_id', 'response_id', 'load_id') }}
    {% endif %}
),

weights as (
    select * from {{ ref('cx_index_weights') }}
),

index_weights as (
    select
        index_code,
        sum(weight) as total_weight
    from weights
    group by index_code
),

-- A component asked by two questions counts once, with the mean of their norms, so it cannot
-- carry its weight twice.
components as (
    select
        client_id,
        response_id,
        metric_code,
        avg(norm) as norm
    from scored
    where metric_code in (select weights.metric_code from weights)
    group by client_id, response_id, metric_code
),

index_parts as (
    select
        components.client_id,
        components.response_id,
        weights.index_code,
        sum(weights.weight * components.norm) as weighted_norm,
        sum(weights.weight) as answered_weight,
        count(*) as n_components
    from components
    inner join weights
        on components.metric_code = weights.metric_code
    group by components.client_id, components.response_id, weights.index_code
),

final as (
    select
        {{ surrogate_key(['index_parts.client_id', 'index_parts.response_id', 'index_parts.index_code']) }}
            as response_index_key,
        index_parts.client_id,
        index_parts.response_id,
        index_parts.index_code,
        index_parts.n_components,
        index_parts.answered_weight / index_weights.total_weight as answered_weight_share,
        -- A weighted mean of norms lies in 0–100; the clamp only removes float noise (65.000…01 / 0.65).
        least(100.0, greatest(0.0, index_parts.weighted_norm / index_parts.answered_weight)) as index_score
    from index_parts
    inner join index_weights
        on index_parts.index_code = index_weights.index_code
    -- Exactly half the weight qualifies; the tolerance absorbs float rounding of the weights.
    where index_parts.answered_weight >= index_weights.total_weight / 2 - 1e-9
)

select * from final
