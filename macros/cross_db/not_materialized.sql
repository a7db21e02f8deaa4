{#- Written between a CTE's `as` and its `(`, for a CTE that only selects rows of a table or
    view and that the query reads more than once: with `when` true, the query reads that input
    where it uses it instead of copying it first. DuckDB materializes such a CTE, every column
    of every row, before the query runs (with a memory limit, often on disk); when the CTE is
    the whole input (a full refresh), reading the input twice costs far less, and when it is a
    new delivery's few rows (an incremental run), the copy is cheaper than filtering twice
    (docs/BENCHMARKS.md, twelfth round). So a model whose CTE holds only the batch on an
    incremental run passes `when=not is_incremental()`. A CTE that computes something costly
    (a regular expression per row) is left materialized. Spark inlines its CTEs and has no
    such keyword: nothing is written there. -#}
{% macro not_materialized(when=true) -%}
    {{ return(adapter.dispatch('not_materialized', 'cxbench')(when)) }}
{%- endmacro %}

{% macro default__not_materialized(when) -%}
{%- endmacro %}

{% macro duckdb__not_materialized(when) -%}
    {%- if when %}not materialized{% endif -%}
{%- endmacro %}
