-- The themes each comment raises (multi-label), from the lexicon seeds; a comment with none
-- gets the catch-all theme. The rules live in the match_comment_themes macro.
with

comments as (
    select * from {{ ref('int_comments_grouped') }}
),

matched as (
    {{ match_comment_themes('comments', ['comment_id'], 'comment_text') }}
),

final as (
    select
        comment_id,
        theme_code
    from matched
)

select * from final
