-- The client values a theme benchmark cell is made of: one row per contributing client (at
-- least min_theme_comments comments in the cell) × cell, in its own industry and in '*'.
-- The cell mart and disclosure control (DESIGN §5/§5.1) read this relation only.
with

client_periods as (
    select * from {{ ref('int_client_comment_theme_periods') }}
),

contributors as (
    select
        industry_code,
        touchpoint_code,
        period_grain,
        period,
        period_start,
        theme_code,
        nps_group,
        client_id,
        n_comments,
        n_theme_comments,
        theme_share
    from client_periods
    where is_contributor
),

final as (
    select * from contributors
    union all
    select
        {{ star_replace(
            ['industry_code', 'touchpoint_code', 'period_grain', 'period', 'period_start',
             'theme_code', 'nps_group', 'client_id', 'n_comments', 'n_theme_comments', 'theme_share'],
            {'industry_code': "'*'"},
        ) }}
    from contributors
)

select * from final
