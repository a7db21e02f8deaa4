-- A client's unit (location, office, team) per touchpoint (and '*') × period × metric, from the
-- same additive sums as int_client_metric_periods. Units are compared only within their own
-- client, never across clients; observations without a unit are left out here (they still
-- count in the client's own value). is_ranked marks units with enough observations to rank.
--
-- Incremental (DuckDB): a build recomputes only the client × months its deliveries touched
-- (int_delivery_touched_months) and the quarters and years they roll up into, from the
-- untouched months already here (roll_up_periods); the pre_hook deletes those periods first.
{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='append',
        pre_hook="{{ delete_touched_periods() }}",
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_delivery_touched_months') }}

with

observations as (
    select * from {{ ref('int_metric_observations') }}
    where
        unit is not null
        {% if is_incremental() %}
            and {{ in_touched_months('client_id', 'month_start') }}
        {% endif %}
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
