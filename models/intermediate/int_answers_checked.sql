-- Every landed answer mapped to its canonical touchpoint and metric, with the reason code of
-- the first check it fails (null when it passes). int_answers_classified ranks these rows;
-- the ingest API runs this model's compiled SQL over posted rows, so both apply one definition.
with

load_log as (
    select * from {{ ref('stg_landing__load_log') }}
),

answers as (
    select * from {{ ref('stg_landing__answers') }}
    where {{ is_loaded_delivery('load_id', 'load_log') }}
),

clients as (
    select * from {{ ref('clients') }}
),

touchpoints as (
    select * from {{ ref('touchpoints') }}
),

touchpoint_map as (
    select * from {{ ref('touchpoint_map') }}
),

question_map as (
    select * from {{ ref('question_map') }}
),

metrics as (
    select * from {{ ref('metrics') }}
),

-- A client's own label, or a canonical code used directly; both matched case-insensitively.
touchpoint_lookup as (
    select
        client_id,
        lower(trim(touchpoint_label)) as label_key,
        touchpoint_code
    from touchpoint_map
),

mapped as (
    select
        answers.*,
        load_log.loaded_at,
        clients.client_id is not null as is_known_client,
        clients.industry_code,
        coalesce(touchpoint_lookup.touchpoint_code, touchpoints.touchpoint_code) as touchpoint_code,
        question_map.metric_code,
        question_map.scale_min,
        question_map.scale_max,
        question_map.higher_is_better,
        metrics.metric_kind
    from answers
    left join load_log
        on answers.load_id = load_log.load_id
    left join clients
        on answers.client_id = clients.client_id
    left join touchpoint_lookup
        on
            answers.client_id = touchpoint_lookup.client_id
            and lower(answers.touchpoint_label) = touchpoint_lookup.label_key
    left join touchpoints
        on lower(answers.touchpoint_label) = touchpoints.touchpoint_code
    left join question_map
        on
            answers.client_id = question_map.client_id
            and lower(answers.question) = lower(trim(question_map.question))
    left join metrics
        on question_map.metric_code = metrics.metric_code
),

-- "In the future" means after the delivery landed, so a row's status never depends on when
-- the build runs and an incremental build agrees with a full refresh.
checked as (
    select
        *,
        case
            when client_id is null then 'missing_client_id'
            when not is_known_client then 'unknown_client'
            when response_id is null then 'missing_response_id'
            when question is null then 'missing_question'
            when metric_code is null then 'unknown_question'
            when touchpoint_label is null then 'missing_touchpoint'
            when touchpoint_code is null then 'unknown_touchpoint'
            when responded_at_raw is null then 'missing_timestamp'
            when responded_at is null then 'timestamp_unparseable'
            when responded_at > loaded_at + {{ interval_of(var('future_tolerance_hours'), 'hour') }}
                then 'timestamp_in_future'
            when answer_text is null then 'answer_missing'
            when metric_kind = 'comment_share' then null
            when answer_number is null then 'not_a_number'
            when answer_number < scale_min or answer_number > scale_max then 'outside_scale'
            when {{ is_whole_point_kind('metric_kind') }} and answer_number != round(answer_number)
                then 'not_a_scale_point'
        end as reason_code
    from mapped
),

final as (
    select {{ classified_answer_columns() | join(',\n        ') }}
    from checked
)

select * from final
