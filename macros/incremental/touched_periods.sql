{#- What an incremental aggregate recomputes (int_delivery_touched_months: the client × months
    this build's deliveries touched). Only rendered on an incremental run, so never on Spark.
    The predicates' own columns are named touched_*, so that an unqualified column of the
    caller cannot bind to them. -#}

{#- A predicate: the client × month is one this build touched. -#}
{% macro in_touched_months(client_id, month_start) -%}
    exists (
        select 1
        from (
            select
                client_id as touched_client_id,
                month_start as touched_month_start
            from {{ touched_months_relation() }}
        ) as touched
        where
            touched.touched_client_id = {{ client_id }}
            and touched.touched_month_start = {{ month_start }}
    )
{%- endmacro %}

{#- A predicate for the answers a touched client × month can read: the client has a touched
    month, and the timestamp is not before the first touched month of any client. Every answer
    in a touched month passes, and so does every answer of a response whose first answer is in
    one (a response's answers come at or after its first). Only a pre-filter, with the exact
    predicate applied after it: its two conditions are a list and a constant that DuckDB
    applies as it scans, where an exists on (client, month) is a join over every answer
    (docs/BENCHMARKS.md, ninth round). -#}
{% macro may_read_touched_months(client_id, at) -%}
    {{ client_id }} in (select client_id from {{ touched_months_relation() }})
    and {{ at }} >= (select min(month_start) from {{ touched_months_relation() }})
{%- endmacro %}

{#- A predicate for the rows of the batch's responses (in_batch_responses) in a table with a
    timestamp from their answers: may_read_touched_months as the pre-filter DuckDB applies as it
    scans (every answer of a batch response lies in a touched month), then the exact test. -#}
{% macro in_batch_responses_at(client_id, response_id, at) -%}
    {{ may_read_touched_months(client_id, at) }}
    and {{ in_batch_responses(client_id, response_id) }}
{%- endmacro %}

{#- A pre-filter for the answers of the batch's responses: the answer's delivery holds one
    (int_delivery_touched_months' load_id). A list that DuckDB applies as it scans, and
    narrower than may_read_touched_months: a delivery of new responses in the newest months of
    every client lets through its own answers, not those months' whole history. -#}
{% macro may_read_batch_loads(load_id) -%}
    {{ load_id }} in (select load_id from {{ touched_months_relation() }})
{%- endmacro %}

{#- in_batch_responses for answers (a load_id column): may_read_batch_loads, then the exact
    test. -#}
{% macro is_batch_answer(client_id, response_id, load_id) -%}
    {{ may_read_batch_loads(load_id) }}
    and {{ in_batch_responses(client_id, response_id) }}
{%- endmacro %}

{#- A predicate: the client × period (grain and first day) holds a month this build touched;
    a touched month touches its month, quarter and year. -#}
{% macro in_touched_periods(client_id, period_grain, period_start) -%}
    exists (
        select 1
        from (
            {% for grain in ['month', 'quarter', 'year'] -%}
                select
                    client_id as touched_client_id,
                    '{{ grain }}' as touched_period_grain,
                    cast(date_trunc('{{ grain }}', month_start) as date) as touched_period_start
                from {{ touched_months_relation() }}
                {% if not loop.last %}union all{% endif %}
            {% endfor -%}
        ) as touched
        where
            touched.touched_client_id = {{ client_id }}
            and touched.touched_period_grain = {{ period_grain }}
            and touched.touched_period_start = {{ period_start }}
    )
{%- endmacro %}

{#- A predicate: the period (its first day) lies in a year that holds a month this build touched,
    for any client. A benchmark cell pools every client, and its disclosure decision (DESIGN
    §5.1) joins cells only within a year (a year, its quarters and their months; an industry
    and '*'; a touchpoint and '*'), so a year is the smallest unit a benchmark mart can
    recompute exactly. -#}
{% macro in_touched_years(period_start) -%}
    exists (
        select 1
        from (
            select distinct cast(date_trunc('year', month_start) as date) as touched_year_start
            from {{ touched_months_relation() }}
        ) as touched
        where touched.touched_year_start = cast(date_trunc('year', {{ period_start }}) as date)
    )
{%- endmacro %}

{#- A predicate: the period lies in a touched year (in_touched_years), or is the period after one
    that does (the first month, quarter and year after a touched year): what a mart that reads
    the benchmark cells (a touched year's may all change) and the change vs the previous period
    of the same grain recomputes. -#}
{% macro in_touched_or_following_years(period_grain, period_start) -%}
    (
        {{ in_touched_years(period_start) }}
        or {{ in_touched_years(previous_period_start(period_grain, period_start)) }}
    )
{%- endmacro %}

{#- A predicate: the client × period is touched, or follows a touched period of the same grain
    (a model with the change vs the previous period must recompute both). -#}
{% macro in_touched_or_following_periods(client_id, period_grain, period_start) -%}
    (
        {{ in_touched_periods(client_id, period_grain, period_start) }}
        or {{ in_touched_periods(
            client_id, period_grain, previous_period_start(period_grain, period_start)
        ) }}
    )
{%- endmacro %}

{#- pre_hook of an incremental client × period aggregate (columns client_id, period_grain,
    period_start): remove the periods this build recomputes, which the model then appends;
    with `and_following`, also the period after each touched one. -#}
{% macro delete_touched_periods(and_following=false) -%}
    {%- if is_incremental() -%}
        {%- set predicate = in_touched_or_following_periods if and_following else in_touched_periods -%}
        delete from {{ this }}
        where {{ predicate(
            this.identifier ~ '.client_id', this.identifier ~ '.period_grain',
            this.identifier ~ '.period_start'
        ) }}
    {%- endif -%}
{%- endmacro %}

{#- pre_hook of an incremental benchmark mart (column period_start): remove the cells of the
    touched years (in_touched_years), which the model then recomputes and appends; with
    `and_following` (column period_grain too), also the period after each touched year
    (in_touched_or_following_years). -#}
{% macro delete_touched_years(and_following=false) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where
            {% if and_following -%}
                {{ in_touched_or_following_years(
                    this.identifier ~ '.period_grain', this.identifier ~ '.period_start'
                ) }}
            {%- else -%}
                {{ in_touched_years(this.identifier ~ '.period_start') }}
            {%- endif %}
    {%- endif -%}
{%- endmacro %}

{#- pre_hook of an incremental client × month or client × day model: remove the rows in the
    touched client × months (a row's month is that of its `date_column`), which the model then
    recomputes and appends. -#}
{% macro delete_touched_months(date_column) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ in_touched_months(
            this.identifier ~ '.client_id',
            "cast(date_trunc('month', " ~ this.identifier ~ "." ~ date_column ~ ") as date)"
        ) }}
    {%- endif -%}
{%- endmacro %}

{#- A predicate: the client × response has a row in a delivery the incremental aggregates have
    not all taken in (aggregates_watermark; int_delivery_touched_months' batch): its answers,
    and so its response-level values, may have changed. Only rendered on an incremental run. -#}
{% macro in_batch_responses(client_id, response_id) -%}
    exists (
        select 1
        from (
            select
                client_id as batch_client_id,
                response_id as batch_response_id
            from {{ incremental_input_relation('int_answers_classified') }}
            where load_id > {{ aggregates_watermark() }}
        ) as batch
        where
            batch.batch_client_id = {{ client_id }}
            and batch.batch_response_id = {{ response_id }}
    )
{%- endmacro %}

{#- pre_hook of an incremental model with a row per response or per answer (columns client_id,
    response_id): remove the rows of the batch's responses (in_batch_responses), which the model
    then recomputes and appends; a response whose answers are no longer accepted is not
    appended again. -#}
{% macro delete_batch_responses() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ in_batch_responses(
            this.identifier ~ '.client_id', this.identifier ~ '.response_id'
        ) }}
    {%- endif -%}
{%- endmacro %}

{#- pre_hook of int_comment_themes_matched: remove the themes of the batch responses' comments
    (int_comments_grouped, which ran before and holds them), which the model then matches anew
    and appends. A re-sent comment keeps its comment_id. -#}
{% macro delete_batch_comments() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where comment_id in (
            select comments.comment_id
            from {{ ref('int_comments_grouped') }} as comments
            where {{ in_batch_responses('comments.client_id', 'comments.response_id') }}
        )
    {%- endif -%}
{%- endmacro %}

{#- int_delivery_touched_months (see incremental_input_relation). -#}
{% macro touched_months_relation() -%}
    {%- do return(incremental_input_relation('int_delivery_touched_months')) -%}
{%- endmacro %}

{#- A model the incremental predicates read: by ref() in a model (its lineage, and a unit
    test's fixture); from the graph in a data test, whose `where` is rendered only when it runs
    (a ref() there would be a dependency dbt never parsed). -#}
{% macro incremental_input_relation(model_name) -%}
    {%- if model is defined and model.resource_type == 'test' -%}
        {%- for node in graph.nodes.values()
            if node.resource_type == 'model' and node.name == model_name -%}
            {%- do return(api.Relation.create(
                database=node.database, schema=node.schema, identifier=node.alias
            )) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- do return(ref(model_name)) -%}
{%- endmacro %}
