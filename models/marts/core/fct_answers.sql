-- Accepted, harmonised answers: one row per client × response × question (latest delivery).
--
-- Incremental: only answers accepted from deliveries newer than any already here are read,
-- and merged on answer_id, so a later delivery replaces the answer an earlier build accepted.
-- An answer never leaves this table: a newer valid delivery replaces it, an invalid one is
-- quarantined without touching it.
{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='merge',
        unique_key='answer_id',
        on_schema_change='fail',
    )
}}

with

scored as (
    select * from {{ ref('int_answers_scored') }}
    {% if is_incremental() %}
        where load_id > {{ load_id_watermark() }}
    {% endif %}
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
