-- CSV lines that could not be split into the header's columns: quarantined as malformed rows.
with

rejected_lines as (
    select * from {{ source('landing', 'rejected_lines') }}
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
