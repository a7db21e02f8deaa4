{#- A model's column rules in one data test and one scan of the model: columns that must not be
    NULL (not_null), columns whose values must be one of a list (accepted_values: column →
    values) and columns whose values must lie in a range (between: column → min_value,
    max_value, inclusive; either bound may be left out, inclusive defaults to true). As in
    dbt's accepted_values and the former between test, NULLs pass those two rules.

    DuckDB reads the model once: it materialises the one-row CTE `checked`, which each
    (rule, column) reads.

    Fails with one row per (rule, column) that some rows break: the rule, the column, how many
    rows break it (failing_rows; fail_calc sums them, so dbt reports the bad rows) and one of the
    bad values (example_value, as text; NULL for not_null). cxbench build names them when the
    test fails (cxbench/build.py). One node per model instead of one per column and rule: each
    data test node costs dbt ~0.06 s whatever its query (docs/BENCHMARKS.md). -#}
{#- sqlfluff lints the test without arguments, so with no checks to loop over, and then asks
    for indents the rendered SQL does not have: -#}
-- sqlfluff:exclude_rules:layout.indent
{% test column_values(model, not_null=[], accepted_values={}, between={}) %}
    {{ config(fail_calc='coalesce(sum(failing_rows), 0)') }}
    {%- set checks = column_value_checks(not_null, accepted_values, between) -%}
    {%- if not checks -%}
        {{ exceptions.raise_compiler_error('column_values needs at least one rule') }}
    {%- endif %}

    with checked as (
        select
            {%- for check in checks %}
            count(case when {{ check.fails }} then 1 end) as failing_{{ loop.index }},
            {% if check.rule == 'not_null' -%}
            cast(null as {{ dbt.type_string() }})
            {%- else -%}
            min(case when {{ check.fails }} then cast({{ check.column }} as {{ dbt.type_string() }}) end)
            {%- endif %} as example_{{ loop.index }}{{ ',' if not loop.last }}
            {%- endfor %}
        from {{ model }}
    ),

    failed as (
        {%- for check in checks %}
        select
            '{{ check.rule }}' as rule,
            '{{ check.column }}' as column_name,
            failing_{{ loop.index }} as failing_rows,
            example_{{ loop.index }} as example_value
        from checked
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
