-- One row per accepted comment, with the NPS answer of the same response and its group
-- (detractor / passive / promoter; 'none' without an NPS answer), for the theme marts.
with

scored as (
    select * from {{ ref('int_answers_scored') }}
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
    where metric_kind = 'comment_share'
),

-- A response answers NPS once; min() keeps a second NPS question deterministic.
nps_answers as (
    select
        client_id,
        response_id,
        min(score) as nps_score
    from scored
    where metric_kind = 'nps'
    group by client_id, response_id
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
