-- A client's comments per touchpoint (and '*') × period × NPS group (and 'all') × theme: how
-- many comments, how many raise the theme, and the theme's share of them. Months roll up to
-- quarters and years from additive counts (roll_up_periods), so every grain agrees.
--
-- Incremental (DuckDB): a build recomputes only the client × months its deliveries touched
-- (int_delivery_touched_months) and the quarters and years they roll up into, from the
-- untouched months already here; the pre_hook deletes those periods first.
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

comments as (
    select * from {{ ref('int_comments_grouped') }}
    {% if is_incremental() %}
        where {{ in_touched_months('client_id', 'month_start') }}
    {% endif %}
),

themes as (
    select * from {{ ref('comment_themes') }}
),

matched as (
    select * from {{ ref('int_comment_themes_matched') }}
),

-- Each comment counts in its NPS group (none without an NPS answer, which is not shown) and
-- in 'all', every comment of the cell with or without an NPS answer.
comment_groups as (
    select
        comment_id,
        client_id,
        industry_code,
        nps_group,
        touchpoint_code,
        month_start
    from comments
    where nps_group != 'none'
    union all
    select
        comment_id,
        client_id,
        industry_code,
        'all' as nps_group,
        touchpoint_code,
        month_start
    from comments
),

-- Every comment counts once per theme, with 100 points when it raises the theme (a share in
-- %): per month, n is the comments and Σx = 100 · (those raising the theme), Σx² = 100 · Σx.
-- They are counted per group and per theme rather than summed over a row per comment × theme.
-- roll_up_periods sums them per metric_code: here the theme.
group_months as (
    select
        client_id,
        industry_code,
        nps_group,
        touchpoint_code,
        month_start,
        count(*) as n_comments
    from comment_groups
    group by all
),

theme_months as (
    select
        comment_groups.client_id,
        comment_groups.nps_group,
        comment_groups.touchpoint_code,
        comment_groups.month_start,
        matched.theme_code,
        count(*) as n_theme_comments
    from comment_groups
    inner join matched
        on comment_groups.comment_id = matched.comment_id
    group by all
),

observations as (
    select
        group_months.client_id,
        group_months.industry_code,
        group_months.nps_group,
        group_months.touchpoint_code,
        themes.theme_code as metric_code,
        'proportion' as statistic_kind,
        group_months.month_start,
        group_months.n_comments as n,
        100.0 * coalesce(theme_months.n_theme_comments, 0) as sum_x,
        10000.0 * coalesce(theme_months.n_theme_comments, 0) as sum_x2
    from group_months
    cross join themes
    left join theme_months
        on
            group_months.client_id = theme_months.client_id
            and group_months.nps_group = theme_months.nps_group
            and group_months.touchpoint_code is not distinct from theme_months.touchpoint_code
            and group_months.month_start = theme_months.month_start
            and themes.theme_code = theme_months.theme_code
),

{% if is_incremental() %}
    -- The months already here, as the sums roll_up_periods adds (points are 0 or 100).
    months_before as (
        select
            client_id,
            industry_code,
            nps_group,
            touchpoint_code,
            theme_code as metric_code,
            'proportion' as statistic_kind,
            period_grain,
            period_start,
            n_comments as n,
            100.0 * n_theme_comments as sum_x,
            10000.0 * n_theme_comments as sum_x2
        from {{ this }}
    ),
{% endif %}

rolled_up as (
    {{ roll_up_periods(
        'observations', ['client_id', 'industry_code', 'nps_group'],
        months_before='months_before' if is_incremental() else none, summed=true,
    ) }}
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
    from rolled_up
)

select * from final
