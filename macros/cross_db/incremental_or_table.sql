{#- The materialization of the answer-level incremental models (merge on a unique key):
    incremental where the engine can merge, a plain table rebuilt every run elsewhere (Spark
    without Delta or Iceberg has no merge; a full rebuild gives the same rows by design). -#}
{% macro incremental_or_table() -%}
    {{ return(adapter.dispatch('incremental_or_table', 'cxbench')()) }}
{%- endmacro %}

{% macro default__incremental_or_table() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__incremental_or_table() -%}
    {{ return('table') }}
{%- endmacro %}
