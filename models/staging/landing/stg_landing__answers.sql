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
        case
            when source_format = 'csv' and {{ regex_full_match('answer_text', "'[+-]?[0-9]+,[0-9]+'") }}
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
        -- ISO 8601 dates and timestamps only, one rule on every engine (DuckDB would also
        -- read 'epoch' and 'infinity'); a naive value is UTC, an offset is honoured.
        {{ iso8601_timestamp_utc('responded_at_raw') }} as responded_at,
        -- Plain decimal notation only: DuckDB would also read 'nan', 'inf' and '1_000'.
        case
            when
                {{ regex_full_match(
                    'answer_decimal_point', "'[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?'"
                ) }}
                and {{ is_finite('try_cast(answer_decimal_point as double)') }}
                then try_cast(answer_decimal_point as double)
        end as answer_number
    from parsed
)

select * from final
