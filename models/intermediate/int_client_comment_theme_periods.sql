-- A client's comments per touchpoint (and '*') × period × NPS group (and 'all') × theme: how
-- many comments, how many raise the theme, and the theme's share of them. Months roll up to
-- quarters and years from additive counts (roll_up_periods), so every grain agrees.
with

comments as (
    select * from {{ ref('int_comments_grouped') }}
),

themes as (
    select * from {{ ref('comment_themes') }}
),

matched as (
    select * from {{ ref('int_comment_themes_matched') }}
),

-- Every comment once per theme, with 100 points when it raises the theme (a share in %).
-- roll_up_periods sums observations per metric_code: here the theme.
observations as (
    select
        comments.client_id,
        comments.industry_code,
        comments.nps_group,
        comments.touchpoint_code,
        themes.theme_code as metric_code,
        'proportion' as statistic_kind,
        comments.month_start,
        case when matched.comment_id is not null then 100.0 else 0.0 end as points
    from comments
    cross join themes
    left join matched
        on
            comments.comment_id = matched.comment_id
            and themes.theme_code = matched.theme_code
),

by_group as (
    {{ roll_up_periods('observations', ['client_id', 'industry_code', 'nps_group']) }}
),

-- 'all' is every comment of the cell, with or without an NPS answer.
all_groups as (
    select
        client_id,
        industry_code,
        'all' as nps_group,
        touchpoint_code,
        metric_code,
        statistic_kind,
        period_grain,
        period,
        period_start,
        cast(sum(n) as bigint) as n,
        sum(sum_x) as sum_x
    from by_group
    group by
        client_id, industry_code, touchpoint_code, metric_code, statistic_kind, period_grain,
        period, period_start
),

unioned as (
    select
        client_id,
        industry_code,
        nps_group,
        touchpoint_code,
        metric_code,
        statistic_kind,
        period_grain,
        period,
        period_start,
        n,
        sum_x
    from by_group
    where nps_group != 'none'
    union all
    select * from all_groups
),

final as (
    select
        client_id,
        industry_code,
        touchpoint_code,
        period_grain,
        period,
        period_start,
        nps_group,
        metric_code as theme_code,
        n as n_comments,
        cast(round(sum_x / 100) as bigint) as n_theme_comments,
        {{ as_double('sum_x') }} / n as theme_share,
        n >= {{ var('min_theme_comments') }} as is_contributor
    from unioned
)

select * from final
