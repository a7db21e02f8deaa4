-- Accepted, harmonised answers: one row per client × response × question (latest delivery).
--
-- A view over int_answers_scored, the accepted rows of int_answers_classified with their
-- scores: nothing in the build or the API reads it row by row, and as a table it was a second
-- copy of every accepted answer, written again by every full build (10M answers: 17–24 CPU s,
-- docs/BENCHMARKS.md, thirteenth round). A later delivery replaces the answer an earlier build
-- accepted because int_answers_classified marks the earlier one superseded; an invalid one is
-- quarantined without touching it.
with

scored as (
    select * from {{ ref('int_answers_scored') }}
),

final as (
    select
        answer_id,
        client_id,
        response_id,
        industry_code,
        touchpoint_code,
        channel,
        unit,
        responded_at,
        question,
        metric_code,
        score,
        norm,
        points,
        comment_text,
        load_id,
        source_file,
        source_row
    from scored
)

select * from final
