-- Rule: the same client_id × response_id × question is accepted at most once (latest valid
-- delivery wins; the others are superseded). On an incremental `dbt build` only a response of
-- the new deliveries can gain a second accepted answer (an older row only ever turns
-- superseded), so the test reads those responses; a full refresh and `dbt test` (watermark 0)
-- read every one.
--
-- The keys are first grouped by their hash, one 8-byte value instead of three strings, and the
-- exact keys only over the rows whose hash repeats: the same rows fail, and a hash two
-- different keys share only costs that exact grouping a few rows more. A full read has no
-- batch test at all (it was `0 = 0 or exists (…)`, which DuckDB still joined). On the 10M
-- bench warehouse: 2.7-3.2 CPU s against 8.4-8.9 (docs/BENCHMARKS.md, fourteenth round).
{#- Read once: each call runs its query when the test runs. -#}
{% set watermark = batch_watermark('int_answers_classified') | trim %}
{% set key_columns -%}
    client_id, response_id, lower(question) as question_key,
    hash(client_id, response_id, lower(question)) as key_hash
{%- endset %}
with

{% if watermark == '0' %}
    -- Every accepted answer, read twice below where it is used (not copied first).
    accepted as {{ not_materialized() }} (
        select {{ key_columns }}
        from {{ ref('int_answers_classified') }}
        where row_status = 'accepted'
    ),
{% else %}
    -- The accepted answers of the new deliveries' responses, copied once.
    accepted as (
        select {{ key_columns }}
        from {{ ref('int_answers_classified') }} as classified
        where
            row_status = 'accepted'
            and exists (
                select 1
                from {{ ref('int_answers_classified') }} as batch
                where
                    batch.load_id > {{ watermark }}
                    and batch.client_id = classified.client_id
                    and batch.response_id = classified.response_id
            )
    ),
{% endif %}

repeated_hashes as (
    select key_hash
    from accepted
    group by key_hash
    having count(*) > 1
),

final as (
    select
        client_id,
        response_id,
        question_key,
        count(*) as accepted
    from accepted
    where key_hash in (select repeated_hashes.key_hash from repeated_hashes)
    group by client_id, response_id, question_key
    having count(*) > 1
)

select * from final
