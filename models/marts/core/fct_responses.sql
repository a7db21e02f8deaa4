-- Survey responses: one row per client × response, with its comment flag.
with

responses as (
    select * from {{ ref('int_responses_summarised') }}
),

final as (
    select
        response_key,
        client_id,
        response_id,
        industry_code,
        touchpoint_code,
        channel,
        unit,
        responded_at,
        n_answers,
        has_comment
    from responses
)

select * from final
