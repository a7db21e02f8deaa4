-- One row per survey response: its touchpoint and time, whether it carries a comment, and its
-- CX index — the weighted mean of the norms of its cxi_* answers, kept only when at least half
-- of the total weight is answered (DESIGN §4). A component asked by two questions counts once,
-- with the mean of their norms, so it cannot carry its weight twice.
with

scored as (
    select * from {{ ref('int_answers_scored') }}
),

weights as (
    select * from {{ ref('cx_index_weights') }}
),

question_map as (
    select * from {{ ref('question_map') }}
),

total_weight as (
    select sum(weight) as total_weight from weights
),

comment_askers as (
    select distinct client_id from question_map
    where metric_code = 'comment'
),

cx_index_components as (
    select
        client_id,
        response_id,
        metric_code,
        avg(norm) as norm
    from scored
    where metric_code like 'cxi\_%' escape '\'
    group by client_id, response_id, metric_code
),

cx_index_parts as (
    select
        cx_index_components.client_id,
        cx_index_components.response_id,
        sum(weights.weight * cx_index_components.norm) as weighted_norm,
        sum(weights.weight) as answered_weight
    from cx_index_components
    inner join weights
        on cx_index_components.metric_code = weights.metric_code
    group by cx_index_components.client_id, cx_index_components.response_id
),

responses as (
    select
        client_id,
        response_id,
        any_value(industry_code) as industry_code,
        -- All answers of a response share these; min() makes a conflict deterministic.
        min(touchpoint_code) as touchpoint_code,
        min(unit) as unit,
        min(channel) as channel,
        min(responded_at) as responded_at,
        count(*) as n_answers,
        bool_or(metric_code = 'comment') as has_comment
    from scored
    group by client_id, response_id
),

final as (
    select
        {{ surrogate_key(['responses.client_id', 'responses.response_id']) }} as response_key,
        responses.*,
        comment_askers.client_id is not null as asks_comment,
        -- Exactly half the weight qualifies; the tolerance absorbs float rounding of the weights.
        case
            when cx_index_parts.answered_weight >= total_weight.total_weight / 2 - 1e-9
                then cx_index_parts.weighted_norm / cx_index_parts.answered_weight
        end as cx_index
    from responses
    cross join total_weight
    left join cx_index_parts
        on
            responses.client_id = cx_index_parts.client_id
            and responses.response_id = cx_index_parts.response_id
    left join comment_askers
        on responses.client_id = comment_askers.client_id
)

select * from final
