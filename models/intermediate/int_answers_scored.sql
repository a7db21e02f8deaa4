-- Accepted answers with their score, normalised score (DESIGN §4) and the points each metric
-- averages. This is the one place where the metric rules are applied to answers.
with

accepted as (
    select * from {{ ref('int_answers_classified') }}
    where row_status = 'accepted'
),

scored as (
    select
        {{ surrogate_key(['client_id', 'response_id', 'lower(question)']) }} as answer_id,
        client_id,
        response_id,
        industry_code,
        touchpoint_code,
        channel,
        unit,
        responded_at,
        question,
        metric_code,
        scale_min,
        scale_max,
        higher_is_better,
        case when metric_code != 'comment' then answer_number end as score,
        case when metric_code = 'comment' then answer_text end as comment_text,
        case
            when metric_code != 'comment'
                then {{ normalised_score('answer_number', 'scale_min', 'scale_max', 'higher_is_better') }}
        end as norm,
        load_id,
        source_file,
        source_row
    from accepted
),

final as (
    select
        *,
        case metric_code
            when 'nps' then {{ nps_points('score') }}
            when 'csat' then {{ top2box_points('score', 'scale_min', 'scale_max', 'higher_is_better') }}
            when 'ces' then {{ ces_points('norm') }}
            when 'osat' then norm
        end as points
    from scored
)

select * from final
