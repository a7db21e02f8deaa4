-- The comment themes with their Finnish and English names, for the API and its users.
with

themes as (
    select * from {{ ref('comment_themes') }}
),

final as (
    select
        theme_code,
        theme_name_fi,
        theme_name_en,
        sort_order,
        is_catch_all
    from themes
)

select * from final
