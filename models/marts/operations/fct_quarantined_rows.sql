-- Quarantine: every landed row that could not be accepted, with its file, its content as
-- delivered and a reason code — including CSV and JSONL lines the parser could not read
-- (malformed_row). Files quarantined as a whole are in the load log and in
-- fct_file_reconciliation with their file-level reason.
--
-- Incremental: a row's quarantine never changes once decided, so a build adds only the rows
-- of deliveries newer than any already here (merged on quarantined_row_id, so re-running
-- changes nothing).
{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='merge',
        unique_key='quarantined_row_id',
        on_schema_change='fail',
    )
}}
{#- Read once: each call runs its query when the model runs. -#}
{% if is_incremental() %}{% set watermark = load_id_watermark() %}{% endif %}

with

load_log as (
    select * from {{ ref('stg_landing__load_log') }}
),

classified as (
    select * from {{ ref('int_answers_classified') }}
    where
        row_status = 'quarantined'
        {% if is_incremental() %}
            and load_id > {{ watermark }}
        {% endif %}
),

rejected_lines as (
    select * from {{ ref('stg_landing__rejected_lines') }}
    where
        {{ is_loaded_delivery('load_id', 'load_log') }}
        {% if is_incremental() %}
            and load_id > {{ watermark }}
        {% endif %}
),

quarantined_answers as (
    select
        load_id,
        source_file,
        source_row,
        cast(null as bigint) as source_line,
        reason_code,
        client_id,
        response_id,
        responded_at_raw,
        touchpoint_label,
        channel,
        unit,
        question,
        answer_raw,
        cast(null as string) as raw_line
    from classified
),

malformed_lines as (
    select
        load_id,
        source_file,
        cast(null as bigint) as source_row,
        source_line,
        'malformed_row' as reason_code,
        cast(null as string) as client_id,
        cast(null as string) as response_id,
        cast(null as string) as responded_at_raw,
        cast(null as string) as touchpoint_label,
        cast(null as string) as channel,
        cast(null as string) as unit,
        cast(null as string) as question,
        cast(null as string) as answer_raw,
        raw_line
    from rejected_lines
),

unioned as (
    select * from quarantined_answers
    union all
    select * from malformed_lines
),

final as (
    select
        {{ surrogate_key(['load_id', 'source_row', 'source_line']) }} as quarantined_row_id,
        *
    from unioned
)

select * from final
