-- Each client's units (locations, offices, teams) compared with each other, never with other
-- clients: per client × unit × touchpoint (and '*') × period × metric, the unit's value with
-- n, margin of error and 95% confidence interval; its client's own value; the difference vs the
-- rest of the client (all its other answers, with and without a unit) and whether it is
-- significant; the unit's rank among the client's ranked units; and the change vs the
-- previous period of the same grain.
--
-- Incremental (DuckDB): a build recomputes only the client × periods its deliveries touched
-- (int_delivery_touched_months) and the periods after them (whose change reads them), from
-- those periods and the ones before; the pre_hook deletes them first.
{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='append',
        pre_hook="{{ delete_touched_periods(and_following=true) }}",
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_delivery_touched_months') }}

with

-- On an incremental build: the recomputed periods, the ones before them (for the change) and,
-- as a touched period's following one is recomputed, the touched one's next period.
unit_periods as (
    select * from {{ ref('int_unit_metric_periods') }} as unit_periods
    {% if is_incremental() %}
        where
            {{ in_touched_or_following_periods(
                'unit_periods.client_id', 'unit_periods.period_grain', 'unit_periods.period_start'
            ) }}
            or {{ in_touched_periods(
                'unit_periods.client_id', 'unit_periods.period_grain',
                next_period_start('unit_periods.period_grain', 'unit_periods.period_start')
            ) }}
    {% endif %}
),

client_periods as (
    select * from {{ ref('int_client_metric_periods') }}
),

metrics as (
    select * from {{ ref('metrics') }}
),

-- Rank 1 is the highest value among the units with enough observations (is_ranked).
unit_ranks as (
    select
        client_id,
        unit,
        touchpoint_code,
        period,
        metric_code,
        -- bigint on every engine (Spark's rank() is an int)
        cast(rank() over (
            partition by client_id, touchpoint_code, period, metric_code order by value desc
        ) as bigint) as unit_rank,
        count(*) over (partition by client_id, touchpoint_code, period, metric_code) as n_units_ranked
    from unit_periods
    where is_ranked
),

-- The rest of the client: its sums minus the unit's, so the two groups are independent.
with_rest as (
    select
        unit_periods.*,
        client_periods.n as client_n,
        client_periods.value as client_value,
        client_periods.n - unit_periods.n as rest_n,
        client_periods.sum_x - unit_periods.sum_x as rest_sum_x,
        client_periods.sum_x2 - unit_periods.sum_x2 as rest_sum_x2
    from unit_periods
    inner join client_periods
        on
            unit_periods.client_id = client_periods.client_id
            and unit_periods.touchpoint_code = client_periods.touchpoint_code
            and unit_periods.period = client_periods.period
            and unit_periods.metric_code = client_periods.metric_code
),

rest_values as (
    select
        *,
        case when rest_n > 0 then rest_sum_x / rest_n end as rest_value,
        case
            when rest_n > 0 then {{ standard_error('statistic_kind', 'rest_n', 'rest_sum_x', 'rest_sum_x2') }}
        end as rest_standard_error
    from with_rest
),

changes as (
    {{ previous_period_change('rest_values', ['client_id', 'unit']) }}
),

compared as (
    select
        *,
        value - rest_value as diff_vs_rest,
        {{ difference_z('value', 'standard_error', 'rest_value', 'rest_standard_error') }}
            as diff_vs_rest_z
    from changes
),

final as (
    select
        {{ surrogate_key([
            'compared.client_id', 'compared.unit', 'compared.touchpoint_code', 'compared.period',
            'compared.metric_code',
        ]) }} as unit_scorecard_id,
        compared.client_id,
        compared.unit,
        compared.touchpoint_code,
        compared.period_grain,
        compared.period,
        compared.period_start,
        compared.metric_code,
        compared.n,
        compared.value,
        compared.standard_error,
        {{ margin_of_error('compared.standard_error') }} as moe,
        {{ confidence_limit(
            'low', 'compared.value', 'compared.standard_error', 'metrics.value_min', 'metrics.value_max'
        ) }} as ci_low,
        {{ confidence_limit(
            'high', 'compared.value', 'compared.standard_error', 'metrics.value_min', 'metrics.value_max'
        ) }} as ci_high,
        compared.client_n,
        compared.client_value,
        compared.rest_n,
        compared.rest_value,
        compared.diff_vs_rest,
        compared.diff_vs_rest_z,
        abs(compared.diff_vs_rest_z) > {{ critical_z() }} as is_diff_vs_rest_significant,
        compared.is_ranked,
        unit_ranks.unit_rank,
        coalesce(
            unit_ranks.n_units_ranked,
            max(unit_ranks.n_units_ranked) over (
                partition by compared.client_id, compared.touchpoint_code, compared.period, compared.metric_code
            ),
            0
        ) as n_units_ranked,
        compared.previous_period,
        compared.previous_n,
        compared.previous_value,
        compared.change,
        compared.change_z,
        abs(compared.change_z) > {{ critical_z() }} as is_change_significant
    from compared
    inner join metrics
        on compared.metric_code = metrics.metric_code
    left join unit_ranks
        on
            compared.client_id = unit_ranks.client_id
            and compared.unit = unit_ranks.unit
            and compared.touchpoint_code = unit_ranks.touchpoint_code
            and compared.period = unit_ranks.period
            and compared.metric_code = unit_ranks.metric_code
    {% if is_incremental() %}
        where {{ in_touched_or_following_periods(
            'compared.client_id', 'compared.period_grain', 'compared.period_start'
        ) }}
    {% endif %}
)

select * from final
