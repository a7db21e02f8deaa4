-- A lexicon term is lower case, holds only letters, digits, spaces, apostrophes and hyphens,
-- has `*` only at its start or end, and never belongs to the catch-all theme: the matching
-- macro turns terms into regular expressions without escaping anything else.
with

terms as (
    select * from {{ ref('comment_theme_terms') }}
),

themes as (
    select * from {{ ref('comment_themes') }}
),

final as (
    select
        terms.theme_code,
        terms.term
    from terms
    inner join themes
        on terms.theme_code = themes.theme_code
    where
        themes.is_catch_all
        or terms.term != lower(terms.term)
        or not {{ regex_matches('terms.term', "'^\\*?[\\pL\\pN\\x27 -]*[\\pL\\pN]\\*?$'") }}
)

select * from final
