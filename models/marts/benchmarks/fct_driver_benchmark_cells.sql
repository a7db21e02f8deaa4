-- Industry driver benchmarks: per industry (and '*') × touchpoint × period × driver, the
-- median and quartiles of the contributing clients' importances, published under the rules of
-- DESIGN §5 and §5.1 with the shared privacy macros: the per-cell rule, complementary
-- suppression over the families (n = paired responses), p10/p90 only from 10 contributors on,
-- and no quantile but the median when quantiles tie.
--
-- Incremental (DuckDB): a build recomputes only the cells of the years its deliveries touched
-- (in_touched_years: the decision of §5.1 never joins cells of two years), from the client
-- values of those years; the pre_hook deletes them first.
{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='append',
        pre_hook="{{ delete_touched_years() }}",
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_delivery_touched_months') }}

with
{% set inputs %}{# The CTEs complementary_suppression reads: Spark builds its round tables from them. #}
client_drivers as (
    select * from {{ ref('int_client_drivers') }}
    where {{ in_touched_years('period_start') if is_incremental() else 'true' }}
),

contributions as (
    select * from {{ ref('int_driver_contributions') }}
    where {{ in_touched_years('period_start') if is_incremental() else 'true' }}
),

all_cells as (
    {{ benchmark_all_cells('client_drivers', ['driver_code']) }}
),

-- n_responses: the cell's paired responses.
cell_statistics as (
    {{ benchmark_cell_statistics('contributions', ['driver_code'], 'value', 'n') }}
),

judged as (
    {{ benchmark_cells_judged('all_cells', 'cell_statistics', ['driver_code'], value_min='-1', value_max='1') }}
){% endset %}{{ inputs }},

-- §5.1: no family's parent minus its published children may single out a client.
decided as (
    {{ complementary_suppression('judged', 'contributions', 'driver_code', inputs=inputs) }}
),

final as (
    {{ benchmark_cells_published('driver_cell_id', ['driver_code'], 'n_pairs', mean_column='mean_importance') }}
)

select * from final
