{#- A model's column rules in one data test: columns that must not be NULL (not_null), columns
    whose values must be one of a list (accepted_values: column → values), columns whose values
    must lie in a range (between: column → min_value, max_value, inclusive; either bound may be
    left out, inclusive defaults to true), columns whose non-NULL values must not repeat
    (unique: columns), combinations of columns or expressions that must not repeat
    (unique_combination: a list of lists) and columns whose values must occur in a column of
    another relation (relationships: column → {to: ref('parent'), field: parent_column}). As in
    dbt's accepted_values and the former between test, NULLs pass those two rules; unique
    ignores NULLs, as dbt's unique does, and unique_combination groups them like any value, as
    the former unique_combination test did; NULLs pass relationships, as in dbt's relationships
    test. dbt renders the `ref` inside the mapping and records the parent as a dependency of the
    test, so the test runs after the parent is built.

    The model is read through one CTE (`tested`); a `where` config filters it, not the parents.
    When the test reads every row (tests_read_every_row: a full refresh, `dbt test`), each rule
    reads the model where it uses `tested` (not_materialized): DuckDB would otherwise copy every
    column of every row first, which took a 10M-answer fct_answers test 8 CPU s instead of 3-4.
    A new batch's few rows are copied once. The row rules share one scan: the one-row CTE
    `checked`, which each (rule, column) reads.
    Each key rule groups the rows by its key and sums the rows of the keys that occur more than
    once into one row. Each reference rule counts the non-NULL rows with no parent row (NOT
    EXISTS, which Spark runs too).

    Fails with one row per (rule, column) that some rows break: the rule (for relationships,
    with the parent: `relationships to touchpoints.touchpoint_code`), the column (a
    combination as `(a, b)`), how many rows break it (failing_rows; for a key rule, the rows
    sharing their key with another row; fail_calc sums them, so dbt reports the bad rows) and
    one of the bad values (example_value, as text; NULL for not_null; a combination's parts
    joined with '|'; for relationships, a child value without a parent). cxbench build names
    them when the test fails (cxbench/build.py). One node per model instead of one per column
    and rule: each data test node costs dbt ~0.06 s whatever its query (docs/BENCHMARKS.md). -#}
{#- sqlfluff lints the test without arguments, so with no checks to loop over, and then asks
    for indents the rendered SQL does not have: -#}
-- sqlfluff:exclude_rules:layout.indent
{% test column_values(
    model,
    not_null=[],
    accepted_values={},
    between={},
    unique=[],
    unique_combination=[],
    relationships={}
) %}
    {{ config(fail_calc='coalesce(sum(failing_rows), 0)') }}
    {%- set checks = column_value_checks(
        not_null, accepted_values, between, unique, unique_combination, relationships
    ) -%}
    {%- if not checks -%}
        {{ exceptions.raise_compiler_error('column_values needs at least one rule') }}
    {%- endif -%}
    {%- set row_checks = checks | selectattr('fails', 'defined') | list -%}
    {%- set key_checks = checks | selectattr('key', 'defined') | list -%}
    {%- set reference_checks = checks | selectattr('to', 'defined') | list %}

    with tested as {{ not_materialized(when=tests_read_every_row()) }} (
        select * from {{ model }}
    ),
    {%- if row_checks %}

    checked as (
        select
            {%- for check in row_checks %}
            count(case when {{ check.fails }} then 1 end) as failing_{{ loop.index }},
            {% if check.rule == 'not_null' -%}
            cast(null as {{ dbt.type_string() }})
            {%- else -%}
            min(case when {{ check.fails }} then cast({{ check.column }} as {{ dbt.type_string() }}) end)
            {%- endif %} as example_{{ loop.index }}{{ ',' if not loop.last }}
            {%- endfor %}
        from tested
    ),
    {%- endif %}
    {%- for check in key_checks %}

    duplicated_{{ loop.index }} as (
        select
            cast(coalesce(sum(occurrences), 0) as {{ dbt.type_bigint() }}) as failing_rows,
            min(key_text) as example_value
        from (
            select
                count(*) as occurrences,
                {% if check.rule == 'unique' -%}
                cast({{ check.key[0] }} as {{ dbt.type_string() }})
                {%- else -%}
                concat_ws('|'
                {%- for part in check.key -%}
                    , coalesce(cast({{ part }} as {{ dbt.type_string() }}), 'NULL')
                {%- endfor -%}
                )
                {%- endif %} as key_text
            from tested
            {%- if check.skip_nulls %}
            where {{ check.key[0] }} is not null
            {%- endif %}
            group by {{ check.key | join(', ') }}
            having count(*) > 1
        ) as duplicated_keys
    ),
    {%- endfor %}
    {%- for check in reference_checks %}

    orphaned_{{ loop.index }} as (
        select
            count(*) as failing_rows,
            min(cast(child.{{ check.column }} as {{ dbt.type_string() }})) as example_value
        from tested as child
        where
            child.{{ check.column }} is not null
            and not exists (
                select 1 from {{ check.to }} as parent
                where parent.{{ check.field }} = child.{{ check.column }}
            )
    ),
    {%- endfor %}

    failed as (
        {%- for check in row_checks %}
        select
            '{{ check.rule }}' as rule,
            '{{ check.column }}' as column_name,
            failing_{{ loop.index }} as failing_rows,
            example_{{ loop.index }} as example_value
        from checked
        {{ 'union all' if not loop.last or key_checks or reference_checks }}
        {%- endfor %}
        {%- for check in key_checks %}
        select
            '{{ check.rule }}' as rule,
            '{{ check.column | replace("'", "''") }}' as column_name,
            failing_rows,
            example_value
        from duplicated_{{ loop.index }}
        {{ 'union all' if not loop.last or reference_checks }}
        {%- endfor %}
        {%- for check in reference_checks %}
        select
            '{{ check.rule }} to {{ check.to.identifier }}.{{ check.field }}' as rule,
            '{{ check.column }}' as column_name,
            failing_rows,
            example_value
        from orphaned_{{ loop.index }}
        {{ 'union all' if not loop.last }}
        {%- endfor %}
    )

    select
        rule,
        column_name,
        failing_rows,
        example_value
    from failed
    where failing_rows > 0
{% endtest %}
