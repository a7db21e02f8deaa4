{#- True when data tests read every row of what they test: on a full refresh, and outside
    `dbt build` (`dbt test`). On an incremental `dbt build` a data test of a model that builds
    incrementally reads the new batch only (new_batch_condition). -#}
{% macro tests_read_every_row() -%}
    {{ return(flags.FULL_REFRESH or flags.WHICH != 'build') }}
{%- endmacro %}
