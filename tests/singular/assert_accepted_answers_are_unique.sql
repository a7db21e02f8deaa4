-- Rule: the same client_id × response_id × question is accepted at most once (latest valid
-- delivery wins; the others are superseded).
select
    client_id,
    response_id,
    lower(question) as question_key,
    count(*) as accepted
from {{ ref('int_answers_classified') }}
where row_status = 'accepted'
group by all
having count(*) > 1
