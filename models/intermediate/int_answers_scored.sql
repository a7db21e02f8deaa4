-- Accepted answers with their score, normalised score (DESIGN §4) and the points each metric
-- averages, by the metric's kind in the catalogue. This is the one place where the metric rules
-- are applied to answers.
with

accepted as (
    select * from {{ ref('int_answers_classified') }}
    where row_status = 'accepted'
),

metrics as (
    select * from {{ ref('metrics') }}
),

scored as (
    select
        {{ surrogate_key(['accepted.client_id', 'accepted.response_id', 'lower(accepted.question)']) }} as answer_id,
        accepted.client_id,
        accepted.response_id,
        accepted.industry_code,
        accepted.touchpoint_code,
        accepted.channel,
        accepted.unit,
        accepted.responded_at,
        accepted.question,
        accepted.metric_code,
        metrics.metric_kind,
        accepted.scale_min,
        accepted.scale_max,
        accepted.higher_is_better,
        case when metrics.metric_kind != 'comment_share' then accepted.answer_number end as score,
        case when metrics.metric_kind = 'comment_share' then accepted.answer_text end as comment_text,
        case
            when metrics.metric_kind != 'comment_share'
                then {{ normalised_score(
                    'accepted.answer_number', 'accepted.scale_min', 'accepted.scale_max',
                    'accepted.higher_is_better'
                ) }}
        end as norm,
        accepted.load_id,
        accepted.source_file,
        accepted.source_row
    from accepted
    inner join metrics
        on accepted.metric_code = metrics.metric_code
),

final as (
    select
        scored.*,
        {{ metric_points(
            'scored.metric_kind', 'scored.score', 'scored.norm', 'scored.scale_min',
            'scored.scale_max', 'scored.higher_is_better', 'metrics.value_min', 'metrics.value_max'
        ) }} as points
    from scored
    inner join metrics
        on scored.metric_code = metrics.metric_code
)

select * from final
