{#- Where record_batch_watermarks keeps the watermarks: a build-internal table of the target. -#}
{% macro batch_watermarks_relation() -%}
    {%- do return(api.Relation.create(
        database=target.get('database'), schema=target.schema, identifier='build_batch_watermarks'
    )) -%}
{%- endmacro %}
