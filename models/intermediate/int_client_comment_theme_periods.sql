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

-- Every comment once per theme, with 100 points when it raises the theme (a share in %).
-- roll_up_periods sums observations per metric_code: here the theme.
observations as (
    select
        comment_groups.client_id,
        comment_groups.industry_code,
        comment_groups.nps_group,
        comment_groups.touchpoint_code,
        themes.theme_code as metric_code,
        'proportion' as statistic_kind,
        comment_groups.month_start,
        case when matched.comment_id is not null then 100.0 else 0.0 end as points
    from comment_groups
    cross join themes
    left join matched
        on
            comment_groups.comment_id = matched.comment_id
            and themes.theme_code = matched.theme_code
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
        months_before='months_before' if is_incremental() else none,
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
