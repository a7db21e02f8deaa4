-- The themes each comment raises (multi-label), from the lexicon seeds; a comment with none
-- gets the catch-all theme. The rules live in the match_comment_themes macro.
--
-- Incremental (DuckDB): a build matches only the comments of the responses with a row in its
-- new deliveries (in_batch_responses); the pre_hook deletes their themes first. A changed
-- lexicon changes the project fingerprint, which forces a full refresh.
{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='append',
        pre_hook="{{ delete_batch_comments() }}",
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_delivery_touched_months') }}, {{ ref('int_answers_classified') }}

with

comments as {{ not_materialized(when=not is_incremental()) }} (
    select * from {{ ref('int_comments_grouped') }}
    {% if is_incremental() %}
        where {{ in_batch_responses_at('client_id', 'response_id', 'responded_at') }}
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
