-- A client's comment themes per touchpoint (and '*') × period × theme: the theme's share of
-- all its comments and of its detractors', passives' and promoters' comments (NPS answer of the
-- same response), the detractor-vs-promoter lift with a two-proportion z test, and the
-- industry's published shares for the same cell.
with

client_periods as (
    select * from {{ ref('int_client_comment_theme_periods') }}
),

cells as (
    select * from {{ ref('fct_theme_benchmark_cells') }}
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

final as (
    select
        {{ surrogate_key(['lifted.client_id', 'lifted.touchpoint_code', 'lifted.period', 'lifted.theme_code']) }}
            as client_theme_id,
        lifted.*,
        abs(lifted.detractor_promoter_z) > {{ critical_z() }} as is_lift_significant,
        industry_all.n_clients as benchmark_n_clients,
        industry_all.suppressed_reason as benchmark_suppressed_reason,
        industry_all.value as benchmark_share,
        industry_all.median as benchmark_median_share,
        industry_detractors.suppressed_reason as benchmark_detractors_suppressed_reason,
        industry_detractors.value as benchmark_share_detractors,
        industry_promoters.suppressed_reason as benchmark_promoters_suppressed_reason,
        industry_promoters.value as benchmark_share_promoters
    from lifted
    left join cells as industry_all
        on
            lifted.industry_code = industry_all.industry_code
            and lifted.touchpoint_code = industry_all.touchpoint_code
            and lifted.period = industry_all.period
            and lifted.theme_code = industry_all.theme_code
            and industry_all.nps_group = 'all'
    left join cells as industry_detractors
        on
            lifted.industry_code = industry_detractors.industry_code
            and lifted.touchpoint_code = industry_detractors.touchpoint_code
            and lifted.period = industry_detractors.period
            and lifted.theme_code = industry_detractors.theme_code
            and industry_detractors.nps_group = 'detractor'
    left join cells as industry_promoters
        on
            lifted.industry_code = industry_promoters.industry_code
            and lifted.touchpoint_code = industry_promoters.touchpoint_code
            and lifted.period = industry_promoters.period
            and lifted.theme_code = industry_promoters.theme_code
            and industry_promoters.nps_group = 'promoter'
)

select * from final
