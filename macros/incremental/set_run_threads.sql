{#- on-run-start of `dbt build`: DuckDB's threads for this run. An incremental build runs many
    small queries, two at once (the profile's dbt threads), and is faster when each query keeps
    to its share of the cores; a full refresh's large queries use every thread the profile
    gives DuckDB (docs/BENCHMARKS.md, tenth round). -#}
{% macro set_run_threads() -%}
    {%- if not execute or target.type != 'duckdb' or flags.WHICH != 'build' -%}
        {%- do return('') -%}
    {%- endif -%}
    {#- Back to the profile's value (DuckDB's default: one per core), whatever an earlier run in
        the same process (the warm build worker) set. -#}
    {%- do run_query('reset threads') -%}
    {%- if flags.FULL_REFRESH -%}
        {%- do return('') -%}
    {%- endif -%}
    {%- set threads = run_query(
        "select cast(current_setting('threads') as bigint)"
    ).columns[0].values()[0] -%}
    set threads = {{ [1, threads // target.threads] | max }}
{%- endmacro %}
