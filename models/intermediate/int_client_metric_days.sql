-- Each client's additive sums per touchpoint × metric × UTC day: what the 7-day alert windows
-- (int_client_metric_windows, and fct_client_alerts' earlier windows) add up.
--
-- Incremental (DuckDB): a build recomputes only the days of the client × months its deliveries
-- touched (int_delivery_touched_months); the pre_hook deletes those days first.
{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='append',
        pre_hook="{{ delete_touched_months('responded_date') }}",
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_delivery_touched_months') }}

with

observations as (
    select * from {{ ref('int_metric_observations') }}
    {% if is_incremental() %}
        where {{ in_touched_months('client_id', 'month_start') }}
    {% endif %}
),

final as (
    select
        client_id,
        industry_code,
        touchpoint_code,
        metric_code,
        statistic_kind,
        cast(responded_at as date) as responded_date,
        count(*) as n,
        sum(points) as sum_x,
        sum(points * points) as sum_x2
    from observations
    group by all
)

select * from final
