-- One row per accepted comment, with the NPS answer of the same response and its group
-- (detractor / passive / promoter; 'none' without an NPS answer), for the theme marts.
--
-- Incremental (DuckDB): a comment reads only its own response, so a build recomputes only the
-- comments of the responses with a row in its new deliveries (in_batch_responses); the pre_hook
-- deletes them first, so a re-sent comment's old row goes, whatever its month.
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

-- On an incremental run, the answers of the deliveries that hold the batch's responses
-- (may_read_batch_loads), which hold their comments and their NPS answers. Filtered here, in
-- the CTE both reads share, so that DuckDB does not keep every answer for them.
scored as {{ not_materialized(when=not is_incremental()) }} (
    select * from {{ ref('int_answers_scored') }}
    {% if is_incremental() %}
        where {{ may_read_batch_loads('load_id') }}
    {% endif %}
),

comments as (
    select
        answer_id as comment_id,
        client_id,
        response_id,
        industry_code,
        touchpoint_code,
        channel,
        unit,
        responded_at,
        comment_text
    from scored
    where
        metric_kind = 'comment_share'
        {% if is_incremental() %}
            and {{ in_batch_responses('client_id', 'response_id') }}
        {% endif %}
),

-- A response answers NPS once; min() keeps a second NPS question deterministic. Its NPS answer
-- may lie in another month than its comment, so every month is read, for these responses (on
-- an incremental run, of the deliveries that hold them).
nps_answers as (
    select
        scored.client_id,
        scored.response_id,
        min(scored.score) as nps_score
    from scored
    where
        scored.metric_kind = 'nps'
        {% if is_incremental() %}
            and exists (
                select 1
                from comments
                where
                    comments.client_id = scored.client_id
                    and comments.response_id = scored.response_id
            )
        {% endif %}
    group by scored.client_id, scored.response_id
),

final as (
    select
        comments.*,
        nps_answers.nps_score,
        coalesce({{ nps_group('nps_answers.nps_score') }}, 'none') as nps_group,
        date_trunc('month', comments.responded_at)::date as month_start
    from comments
    left join nps_answers
        on
            comments.client_id = nps_answers.client_id
            and comments.response_id = nps_answers.response_id
)

select * from final
