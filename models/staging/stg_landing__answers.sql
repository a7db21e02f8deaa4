-- Landed answers, trimmed and typed: UTC timestamp, numeric answer (decimal comma accepted
-- in CSV), lower-case channel. Raw text is kept beside every parsed value for quarantine.
with

landed_answers as (
    select * from {{ source('landing', 'landed_answers') }}
),

trimmed as (
    select
        load_id,
        source_file,
        source_row,
        source_format,
        nullif(trim(client_id), '') as client_id,
        nullif(trim(response_id), '') as response_id,
        nullif(trim(responded_at), '') as responded_at_raw,
        nullif(trim(touchpoint), '') as touchpoint_label,
        lower(nullif(trim(channel), '')) as channel,
        nullif(trim(unit), '') as unit,
        nullif(trim(question), '') as question,
        answer as answer_raw,
        nullif(trim(answer), '') as answer_text
    from landed_answers
),

final as (
    select
        *,
        -- A naive value is UTC (the session time zone); an offset is honoured.
        timezone('UTC', try_cast(responded_at_raw as timestamptz)) as responded_at,
        try_cast(
            case
                when source_format = 'csv' and regexp_full_match(answer_text, '[+-]?[0-9]+,[0-9]+')
                    then replace(answer_text, ',', '.')
                else answer_text
            end as double
        ) as answer_number
    from trimmed
)

select * from final
