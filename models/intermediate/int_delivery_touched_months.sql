-- The client × months whose statistics the deliveries of this build can change: every month
-- in which a response of a new delivery has an answer, in that delivery or in an earlier one
-- (a re-sent answer supersedes one that may sit in another month, and a response-level value
-- reads all the response's answers). The incremental aggregates recompute just these months,
-- and the quarters and years they roll up into. A full refresh, a first build and any command
-- but `dbt build` count every delivery as new (batch_watermark 0): every month is touched.
with

classified as (
    select * from {{ ref('int_answers_classified') }}
),

batch_responses as (
    select distinct
        client_id,
        response_id
    from classified
    where load_id > {{ batch_watermark('int_answers_classified') }}
),

final as (
    select distinct
        classified.client_id,
        cast(date_trunc('month', classified.responded_at) as date) as month_start
    from classified
    inner join batch_responses
        on
            classified.client_id = batch_responses.client_id
            and classified.response_id = batch_responses.response_id
    where classified.responded_at is not null
)

select * from final
