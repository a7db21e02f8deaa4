-- Lines a parser could not read (CSV or JSONL): quarantined as malformed rows.
with

load_log as (
    select * from {{ source('landing', 'load_log') }}
),

-- Only deliveries the load log records as loaded (see stg_landing__answers).
rejected_lines as (
    select * from {{ source('landing', 'rejected_lines') }}
    where load_id in (
        select load_log.load_id from load_log
        where load_log.status = 'loaded'
    )
),

final as (
    select
        load_id,
        source_file,
        source_line,
        raw_line,
        error_type,
        error_message
    from rejected_lines
)

select * from final
