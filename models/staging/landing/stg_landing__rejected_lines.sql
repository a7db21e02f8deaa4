-- Lines a parser could not read (CSV or JSONL): quarantined as malformed rows.
-- Loaded or not: readers keep the deliveries the load log records as loaded (is_loaded_delivery).
with

rejected_lines as (
    select * from {{ source('landing', 'rejected_lines') }}
),

final as (
    select
        load_id,
        source_file,
        -- bigint as the source declares: files landed before the landing cast held UBIGINT,
        -- which a union with them widens to HUGEINT.
        cast(source_line as bigint) as source_line,
        raw_line,
        error_type,
        error_message
    from rejected_lines
)

select * from final
