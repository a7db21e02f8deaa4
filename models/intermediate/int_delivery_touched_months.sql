-- The client × months whose statistics the deliveries of this build can change: every month
-- in which a response of a new delivery has an answer, in that delivery or in an earlier one
-- (a re-sent answer supersedes one that may sit in another month, and a response-level value
-- reads all the response's answers). The incremental aggregates recompute just these months,
-- and the quarters and years they roll up into. Each row also names a delivery (load_id) that
-- holds such an answer, so the models that recompute the batch's responses find their answers
-- by delivery as they scan (may_read_batch_loads).
--
-- A delivery is new until a build has taken it into every incremental aggregate
-- (aggregates_watermark, advanced at the end of a run in which all of them succeeded), so a
-- failed or stopped build leaves nothing out. A full refresh and a first build count every
-- delivery as new: every month is touched.
{#- Read once: on a run it is a query (aggregates_watermark). -#}
{% set watermark = aggregates_watermark() | trim %}
with

classified as {{ not_materialized() }} (
    select * from {{ ref('int_answers_classified') }}
),

{% if watermark == '0' %}
    -- Every delivery is new, so every response is a batch response: the months of every row
    -- with a response, without matching each row to its response (a 10M-answer full build: 0.3
    -- CPU s against 3.5, docs/BENCHMARKS.md, thirteenth round).
    final as (
        select distinct
            client_id,
            cast(date_trunc('month', responded_at) as date) as month_start,
            load_id
        from classified
        where
            load_id > 0
            and client_id is not null
            and response_id is not null
            and responded_at is not null
    )
{% else %}
    batch_responses as (
        select distinct
            client_id,
            response_id
        from classified
        where load_id > {{ watermark }}
    ),

    final as (
        select distinct
            classified.client_id,
            cast(date_trunc('month', classified.responded_at) as date) as month_start,
            classified.load_id
        from classified
        inner join batch_responses
            on
                classified.client_id = batch_responses.client_id
                and classified.response_id = batch_responses.response_id
        where classified.responded_at is not null
    )
{% endif %}

select * from final
