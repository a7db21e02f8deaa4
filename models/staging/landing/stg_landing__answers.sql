-- Landed answers, trimmed and typed: UTC timestamp, numeric answer (decimal comma accepted
-- in CSV), lower-case channel. Raw text is kept beside every parsed value for quarantine.
-- Every landed file is here, loaded or not: the models that read this keep the deliveries the
-- load log records as loaded (is_loaded_delivery), so staging reads one source.
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

parsed as (
    select
        *,
        -- A naive value is UTC (the session time zone); an offset is honoured.
        try_cast(responded_at_raw as timestamptz) as responded_at_parsed,
        case
            when source_format = 'csv' and regexp_full_match(answer_text, '[+-]?[0-9]+,[0-9]+')
                then replace(answer_text, ',', '.')
            else answer_text
        end as answer_decimal_point
    from trimmed
),

final as (
    select
        load_id,
        source_file,
        source_row,
        source_format,
        client_id,
        response_id,
        responded_at_raw,
        touchpoint_label,
        channel,
        unit,
        question,
        answer_raw,
        answer_text,
        -- ISO 8601 dates and timestamps only: DuckDB would also read 'epoch' and 'infinity'.
        case
            when regexp_matches(responded_at_raw, '^[0-9]{4}-[0-9]{2}-[0-9]{2}')
                then timezone('UTC', responded_at_parsed)
        end as responded_at,
        -- Plain decimal notation only: DuckDB would also read 'nan', 'inf' and '1_000'.
        case
            when
                regexp_full_match(
                    answer_decimal_point, '[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?'
                )
                and isfinite(try_cast(answer_decimal_point as double))
                then try_cast(answer_decimal_point as double)
        end as answer_number
    from parsed
)

select * from final
