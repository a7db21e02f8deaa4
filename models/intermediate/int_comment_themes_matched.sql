-- The themes each comment raises (multi-label), from the lexicon seeds; a comment with none
-- gets the catch-all theme. The rules live in the match_comment_themes macro.
--
-- Incremental (DuckDB): a build matches only the comments of the client × months its
-- deliveries touched (int_delivery_touched_months); the pre_hook deletes their themes first.
-- A changed lexicon changes the project fingerprint, which forces a full refresh.
{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='append',
        pre_hook="{{ delete_touched_comments() }}",
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
