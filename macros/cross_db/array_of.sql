{#- An array (list) value of the SQL expressions in `items`, in order. -#}
{% macro array_of(items) -%}
    {{ return(adapter.dispatch('array_of', 'cxbench')(items)) }}
{%- endmacro %}

{% macro default__array_of(items) -%}
    array({{ items | join(', ') }})
{%- endmacro %}

{% macro duckdb__array_of(items) -%}
    [{{ items | join(', ') }}]
{%- endmacro %}
