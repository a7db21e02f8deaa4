-- Every landed answer, mapped to the canonical touchpoint and metric and given exactly one
-- status: accepted, quarantined (with a reason code) or superseded (an older delivery of the
-- same client_id × response_id × question). Nothing a client sent is dropped here; the
-- quarantine, answers fact and file reconciliation all read this one model.
--
-- Incremental: a build classifies only the rows of deliveries newer than any already here,
-- together with the accepted answers those rows repeat (a new delivery may supersede them),
-- and merges both on load_id × source_row: new rows are inserted, and an existing row can only
-- change its row_status (accepted → superseded). Load ids only grow, so the newest valid
-- delivery of a key is always in the batch and the result equals a full refresh.
--
-- The ranking carries each row without its file's name and format, which the load log gives
-- per delivery afterwards: the window sorts every row it ranks with all it carries, under the
-- build's memory limit (10M answers, three runs each: 31.6 s on average with them, 28.0 s
-- without; docs/BENCHMARKS.md, sixteenth round).
{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='merge',
        unique_key=['load_id', 'source_row'],
        merge_update_columns=['row_status'],
        on_schema_change='fail',
    )
}}

{%- set delivery_columns = ['source_file', 'source_format'] -%}
{%- set ranked_columns = classified_answer_columns() | reject('in', delivery_columns) | list %}

with

-- Rows of deliveries newer than any already here; the checks themselves live in
-- int_answers_checked, which the ingest API also runs over posted rows (one definition).
checked as (
    select * from {{ ref('int_answers_checked') }}
    {% if is_incremental() %}
        where load_id > {{ load_id_watermark() }}
    {% endif %}
),

new_rows as (
    select {{ ranked_columns | join(', ') }}
    from checked
),

load_log as (
    select load_id, {{ delivery_columns | join(', ') }}
    from {{ ref('stg_landing__load_log') }}
),

{% if is_incremental() %}
    new_valid_keys as (
        select distinct
            client_id,
            response_id,
            lower(question) as question_key
        from new_rows
        where reason_code is null
    ),

    new_valid_responses as (
        select distinct
            client_id,
            response_id
        from new_valid_keys
    ),

    -- The accepted answers of those responses, found on client_id × response_id alone: matching
    -- the question as well while scanning every accepted answer cost lower(question) per row
    -- (a 13M-answer warehouse: 4.2 CPU s against 1.4, docs/BENCHMARKS.md, twelfth round).
    accepted_before as (
        select
            classified_before.load_id,
            classified_before.source_row,
            classified_before.client_id,
            classified_before.response_id,
            classified_before.question,
            classified_before.reason_code
        from {{ this }} as classified_before
        where
            classified_before.row_status = 'accepted'
            and exists (
                select 1
                from new_valid_responses
                where
                    new_valid_responses.client_id = classified_before.client_id
                    and new_valid_responses.response_id = classified_before.response_id
            )
    ),

    -- Answers an earlier build accepted whose key a new valid row repeats. Only what ranking
    -- needs is read: the merge changes nothing but row_status of an existing row.
    repeated_accepted as (
        select accepted_before.*
        from accepted_before
        inner join new_valid_keys
            on
                accepted_before.client_id = new_valid_keys.client_id
                and accepted_before.response_id = new_valid_keys.response_id
                and lower(accepted_before.question) = new_valid_keys.question_key
    ),
{% endif %}

candidates as (
    select * from new_rows
    {% if is_incremental() %}
        union all by name
        select * from repeated_accepted
    {% endif %}
),

-- Latest valid delivery wins (a later load, then a later row of the same file): a bad
-- re-delivery never hides a good answer.
ranked as (
    select
        *,
        case
            when reason_code is null
                then row_number() over (
                    partition by reason_code is null, client_id, response_id, lower(question)
                    order by load_id desc, source_row desc
                )
        end as delivery_rank
    from candidates
),

final as (
    select
        {% for column in classified_answer_columns() -%}
            {{ 'load_log' if column in delivery_columns else 'ranked' }}.{{ column }},
        {% endfor -%}
        case
            when ranked.reason_code is not null then 'quarantined'
            when ranked.delivery_rank = 1 then 'accepted'
            else 'superseded'
        end as row_status
    from ranked
    left join load_log
        on ranked.load_id = load_log.load_id
)

select * from final
