-- One row per delivery: rows landed = accepted + quarantined + superseded, exactly
-- (a singular test gates it). Files quarantined as a whole carry their reason here.
with

load_log as (
    select * from {{ ref('stg_landing__load_log') }}
),

classified as (
    select * from {{ ref('int_answers_classified') }}
),

rejected_lines as (
    select * from {{ ref('stg_landing__rejected_lines') }}
    where {{ is_loaded_delivery('load_id', 'load_log') }}
),

row_counts as (
    select
        load_id,
        count(*) filter (where row_status = 'accepted') as rows_accepted,
        count(*) filter (where row_status = 'quarantined') as rows_quarantined,
        count(*) filter (where row_status = 'superseded') as rows_superseded
    from classified
    group by load_id
),

malformed_counts as (
    select
        load_id,
        count(*) as rows_malformed
    from rejected_lines
    group by load_id
),

final as (
    select
        load_log.load_id,
        load_log.source_file,
        load_log.file_size,
        load_log.content_hash,
        load_log.source_format,
        load_log.file_status,
        load_log.reason_code as file_reason_code,
        load_log.reason_detail as file_reason_detail,
        load_log.loaded_at,
        load_log.rows_landed + load_log.rows_rejected as rows_landed,
        coalesce(row_counts.rows_accepted, 0) as rows_accepted,
        coalesce(row_counts.rows_quarantined, 0) + coalesce(malformed_counts.rows_malformed, 0)
            as rows_quarantined,
        coalesce(row_counts.rows_superseded, 0) as rows_superseded,
        case
            when load_log.file_status = 'quarantined' then load_log.rows_in_file
        end as rows_in_quarantined_file
    from load_log
    left join row_counts
        on load_log.load_id = row_counts.load_id
    left join malformed_counts
        on load_log.load_id = malformed_counts.load_id
)

select * from final
