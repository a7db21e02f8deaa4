-- Accepted, harmonised answers: one row per client × response × question (latest delivery).
with

scored as (
    select * from {{ ref('int_answers_scored') }}
),

final as (
    select
        answer_id,
        client_id,
        response_id,
        industry_code,
        touchpoint_code,
        channel,
        unit,
        responded_at,
        question,
        metric_code,
        score,
        norm,
        points,
        comment_text,
        load_id,
        source_file,
        source_row
    from scored
)

select * from final
