-- Rule: every cxi_* metric code used in question_map has a weight, and every weight belongs to
-- a cxi_* code (a typo would silently drop a component from the CX index).
select
    question_map.metric_code,
    'no weight' as problem
from {{ ref('question_map') }} as question_map
left join {{ ref('cx_index_weights') }} as weights
    on question_map.metric_code = weights.metric_code
where question_map.metric_code like 'cxi\_%' escape '\' and weights.metric_code is null
union all
select
    metric_code,
    'not a cxi_ code' as problem
from {{ ref('cx_index_weights') }}
where metric_code not like 'cxi\_%' escape '\'
