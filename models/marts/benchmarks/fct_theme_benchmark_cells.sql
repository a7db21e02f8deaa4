-- Theme benchmark cells: the share of comments raising each theme, by industry × touchpoint ×
-- period × NPS group (with '*' roll-ups), over the clients that contribute, under the rules of
-- DESIGN §5 and §5.1 with the shared privacy macros: the per-cell rule, complementary
-- suppression (n = comments; measure key theme × NPS group, and 'all' with its groups as one
-- more family), p10/p90 only from 10 contributors on, no quantile but the median on ties.
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
    select * from {{ ref('int_client_comment_theme_periods') }}
    where {{ in_touched_years('period_start') if is_incremental() else 'true' }}
),

contributions as (
    select * from {{ ref('int_theme_benchmark_contributions') }}
    where {{ in_touched_years('period_start') if is_incremental() else 'true' }}
),

all_cells as (
    {{ benchmark_all_cells('client_periods', ['theme_code', 'nps_group']) }}
),

-- n_responses: the cell's comments.
cell_statistics as (
    {{ benchmark_cell_statistics('contributions', ['theme_code', 'nps_group'], 'theme_share', 'n_comments', [
        ('pooled_share', as_double('100.0 * sum(n_theme_comments)') ~ ' / sum(n_comments)'),
    ]) }}
),

judged as (
    {{ benchmark_cells_judged('all_cells', 'cell_statistics', ['theme_code', 'nps_group'], ['pooled_share'],
                              value_min='0', value_max='100') }}
),

contribution_counts as (
    select
        industry_code,
        touchpoint_code,
        period_grain,
        period,
        theme_code,
        nps_group,
        client_id,
        n_comments as n
    from contributions
){% endset %}{{ inputs }},

-- §5.1: no family's parent minus its published children may single out a client; 'all' and
-- its detractor, passive and promoter cells are a family too ('all' also holds the comments
-- of respondents without an NPS answer, which no group cell publishes).
decided as (
    {{ complementary_suppression(
        'judged', 'contribution_counts', ['theme_code', 'nps_group'], 'nps_group', 'all', inputs=inputs
    ) }}
),

-- Theme shares are small fractions k/n: quantile_published's strict rule.
final as (
    {{ benchmark_cells_published('theme_cell_id', ['theme_code', 'nps_group'], 'n_comments', [
        ('value', 'judged.pooled_share'),
    ], published_after=[
        ('moe', critical_z() ~ ' * sqrt(judged.pooled_share * (100 - judged.pooled_share) / judged.n_responses)'),
        ('max_client_share', 'judged.max_client_share'),
    ], strict=true) }}
)

select * from final
