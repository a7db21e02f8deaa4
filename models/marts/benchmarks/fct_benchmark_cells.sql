-- Benchmark cells (industry × touchpoint × period × metric, with '*' roll-ups) over the
-- clients that contribute to each cell, and the publication rules of DESIGN §5 and §5.1: the
-- per-cell rule, then complementary suppression over the families; a withheld cell keeps only
-- its coordinates, n_clients and suppressed_reason.
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
client_periods as (
    select * from {{ ref('int_client_metric_periods') }}
    where {{ in_touched_years('period_start') if is_incremental() else 'true' }}
),

contributors as (
    select * from client_periods
    where is_contributor
),

-- Each contributor counts in its own industry's cell and in the all-industries cell.
contributions as (
    select * from contributors
    union all
    select {{ star_replace(ref('int_client_metric_periods'), {'industry_code': "'*'"}) }} from contributors
),

all_cells as (
    {{ benchmark_all_cells('client_periods', ['metric_code', 'statistic_kind']) }}
),

cell_statistics as (
    {{ benchmark_cell_statistics('contributions', ['metric_code'], 'value', 'n', [
        ('pooled_value', 'sum(sum_x) / sum(n)'),
        ('pooled_standard_error',
         standard_error('any_value(statistic_kind)', 'sum(n)', 'sum(sum_x)', 'sum(sum_x2)')),
    ]) }}
),

judged as (
    {{ benchmark_cells_judged('all_cells', 'cell_statistics', ['metric_code'],
                              ['pooled_value', 'pooled_standard_error']) }}
){% endset %}{{ inputs }},

-- §5.1: no family's parent minus its published children may single out a client.
decided as (
    {{ complementary_suppression('judged', 'contributions', 'metric_code', inputs=inputs) }}
),

final as (
    {{ benchmark_cells_published('cell_id', ['metric_code'], 'n_responses', [
        ('value', 'judged.pooled_value'),
    ], published_after=[
        ('moe', margin_of_error('judged.pooled_standard_error')),
        ('max_client_share', 'judged.max_client_share'),
    ]) }}
)

select * from final
