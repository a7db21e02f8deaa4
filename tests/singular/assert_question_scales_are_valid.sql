-- Rule: every scale question has scale_min < scale_max and a direction; an nps question is
-- 0–10 with higher_is_better; a comment question has no scale.
select *
from {{ ref('question_map') }}
where
    (metric_code = 'nps' and (scale_min != 0 or scale_max != 10 or not higher_is_better))
    or (
        metric_code != 'comment'
        and (scale_min is null or scale_max is null or scale_min >= scale_max or higher_is_better is null)
    )
    or (metric_code = 'comment' and (scale_min is not null or scale_max is not null))
