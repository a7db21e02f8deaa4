-- A client's comment themes per touchpoint (and '*') × period × theme: the theme's share of
-- all its comments and of its detractors', passives' and promoters' comments (NPS answer of the
-- same response), the detractor-vs-promoter lift with a two-proportion z test, and the
-- industry's published shares for the same cell.
--
-- Incremental (DuckDB): a build recomputes only the periods of the years its deliveries touched
-- (in_touched_years), as fct_theme_benchmark_cells does: a row reads the client's own periods
-- and the industry's cells of the same period, and the cells of a touched year may all have
-- changed; the pre_hook deletes them first.
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

client_periods as (
    select * from {{ ref('int_client_comment_theme_periods') }}
    where {{ in_touched_years('period_start') if is_incremental() else 'true' }}
),

cells as (
    select * from {{ ref('fct_theme_benchmark_cells') }}
    where {{ in_touched_years('period_start') if is_incremental() else 'true' }}
),

pivoted as (
    select
        client_id,
        industry_code,
        touchpoint_code,
        period_grain,
        period,
        period_start,
        theme_code,
        {% for group in ['all', 'detractor', 'passive', 'promoter'] -%}
            {%- set suffix = '' if group == 'all' else '_' ~ group ~ 's' -%}
            cast(coalesce(sum(case when nps_group = '{{ group }}' then n_comments end), 0) as bigint)
                as n_comments{{ suffix }},
            cast(coalesce(sum(case when nps_group = '{{ group }}' then n_theme_comments end), 0) as bigint)
                as n_theme_comments{{ suffix }},
            max(case when nps_group = '{{ group }}' then theme_share end) as theme_share{{ suffix }}
            {%- if not loop.last %},{% endif %}
        {% endfor %}
    from client_periods
    group by
        client_id, industry_code, touchpoint_code, period_grain, period, period_start, theme_code
),

lifted as (
    select
        *,
        theme_share_detractors - theme_share_promoters as detractor_promoter_difference,
        case
            when theme_share_promoters > 0 then theme_share_detractors / theme_share_promoters
        end as detractor_promoter_lift,
        {{ two_proportion_z('n_theme_comments_detractors', 'n_comments_detractors',
                            'n_theme_comments_promoters', 'n_comments_promoters') }}
            as detractor_promoter_z
    from pivoted
),

{%- set benchmark_columns = [
    ('all', 'n_clients', 'benchmark_n_clients'),
    ('all', 'suppressed_reason', 'benchmark_suppressed_reason'),
    ('all', 'value', 'benchmark_share'),
    ('all', 'median', 'benchmark_median_share'),
    ('detractor', 'suppressed_reason', 'benchmark_detractors_suppressed_reason'),
    ('detractor', 'value', 'benchmark_share_detractors'),
    ('promoter', 'suppressed_reason', 'benchmark_promoters_suppressed_reason'),
    ('promoter', 'value', 'benchmark_share_promoters'),
] %}

-- The industry's cells for the same touchpoint × period × theme, one row with a column per
-- NPS group and statistic (each cell is unique, so max() picks it).
industry_cells as (
    select
        industry_code,
        touchpoint_code,
        period,
        theme_code,
        {% for group, column, alias in benchmark_columns -%}
            max(case when nps_group = '{{ group }}' then {{ column }} end) as {{ alias }}
            {%- if not loop.last %},{% endif %}
        {% endfor %}
    from cells
    group by industry_code, touchpoint_code, period, theme_code
),

final as (
    select
        {{ surrogate_key(['lifted.client_id', 'lifted.touchpoint_code', 'lifted.period', 'lifted.theme_code']) }}
            as client_theme_id,
        lifted.*,
        abs(lifted.detractor_promoter_z) > {{ critical_z() }} as is_lift_significant,
        {% for group, column, alias in benchmark_columns -%}
            industry_cells.{{ alias }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from lifted
    left join industry_cells
        on
            lifted.industry_code = industry_cells.industry_code
            and lifted.touchpoint_code = industry_cells.touchpoint_code
            and lifted.period = industry_cells.period
            and lifted.theme_code = industry_cells.theme_code
)

select * from final
