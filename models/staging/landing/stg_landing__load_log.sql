-- Every delivery ever seen, with its file-level status.
with

load_log as (
    select * from {{ source('landing', 'load_log') }}
),

final as (
    select
        load_id,
        source_file,
        file_size,
        content_hash,
        source_format,
        rows_landed,
        rows_rejected,
        status as file_status,
        reason_code,
        reason_detail,
        loaded_at,
        rows_in_file
    from load_log
)

select * from final
