-- Rule: every scale question has scale_min < scale_max and a direction; a question of an
-- nps-kind metric is 0–10 with higher_is_better; a comment question has no scale; nobody asks
-- a weighted index directly (it is computed from its components).
select
    question_map.*,
    metrics.metric_kind
from {{ ref('question_map') }} as question_map
inner join {{ ref('metrics') }} as metrics
    on question_map.metric_code = metrics.metric_code
where
    (
        metrics.metric_kind = 'nps'
        and (question_map.scale_min != 0 or question_map.scale_max != 10 or not question_map.higher_is_better)
    )
    or (
        metrics.metric_kind != 'comment_share'
        and (
            question_map.scale_min is null
            or question_map.scale_max is null
            or question_map.scale_min >= question_map.scale_max
            or question_map.higher_is_better is null
        )
    )
    or (
        metrics.metric_kind = 'comment_share'
        and (question_map.scale_min is not null or question_map.scale_max is not null)
    )
    or metrics.metric_kind = 'weighted_index'
