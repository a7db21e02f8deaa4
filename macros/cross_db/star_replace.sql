{#- `*` of a relation with some columns replaced by expressions, in their places:
    replacements maps a column name to its SQL expression. `columns` are the relation's
    columns in order, as names or as a relation to read them from (engines without
    `select * replace` list them). -#}
{% macro star_replace(columns, replacements) -%}
    {{ return(adapter.dispatch('star_replace', 'cxbench')(columns, replacements)) }}
{%- endmacro %}

{% macro default__star_replace(columns, replacements) -%}
    {%- if columns.identifier is not defined -%}
        {%- set names = columns -%}
    {%- elif execute -%}
        {%- set names = adapter.get_columns_in_relation(columns) | map(attribute='name') | list -%}
    {%- else -%}
        {%- set names = [] -%}
    {%- endif -%}
    {%- for name in names -%}
        {{ replacements[name] ~ ' as ' ~ name if name in replacements else name }}
        {%- if not loop.last %}, {% endif -%}
    {%- endfor -%}
{%- endmacro %}

{% macro duckdb__star_replace(columns, replacements) -%}
    * replace ({% for name, expression in replacements.items() -%}
        {{ expression }} as {{ name }}{% if not loop.last %}, {% endif %}
    {%- endfor %})
{%- endmacro %}
