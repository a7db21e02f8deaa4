-- Comments as they may leave the warehouse: personal data masked (mask_personal_data), with
-- their themes, touchpoint, time and the NPS group of the same response. The raw text stays
-- in fct_answers; the published snapshot carries only this mart's masked text.
--
-- Incremental (DuckDB): a build masks only the comments of the responses with a row in its new
-- deliveries (in_batch_responses), as int_comments_grouped recomputes them; the pre_hook
-- deletes those responses' comments first.
{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='append',
        pre_hook="{{ delete_batch_responses() }}",
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_delivery_touched_months') }}, {{ ref('int_answers_classified') }}

with

comments as (
    select * from {{ ref('int_comments_grouped') }}
    {% if is_incremental() %}
        where {{ in_batch_responses_at('client_id', 'response_id', 'responded_at') }}
    {% endif %}
),

matched as (
    select * from {{ ref('int_comment_themes_matched') }}
    {% if is_incremental() %}
        where comment_id in (select comments.comment_id from comments)
    {% endif %}
),

themes as (
    select * from {{ ref('comment_themes') }}
),

theme_lists as (
    select
        matched.comment_id,
        {{ ordered_string_agg('matched.theme_code', "','", 'themes.sort_order') }} as theme_codes
    from matched
    inner join themes
        on matched.theme_code = themes.theme_code
    group by matched.comment_id
),

final as (
    select
        comments.comment_id,
        comments.client_id,
        comments.response_id,
        comments.touchpoint_code,
        comments.channel,
        comments.unit,
        comments.responded_at,
        {{ period_label('month', 'comments.month_start') }} as period_month,
        {{ period_label('quarter', 'comments.month_start') }} as period_quarter,
        {{ period_label('year', 'comments.month_start') }} as period_year,
        comments.nps_score,
        comments.nps_group,
        theme_lists.theme_codes,
        {{ mask_personal_data('comments.comment_text') }} as comment_text_masked
    from comments
    inner join theme_lists
        on comments.comment_id = theme_lists.comment_id
)

select * from final
