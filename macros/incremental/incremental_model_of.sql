{#- The graph node of the incremental model `relation` is, or none. -#}
{% macro incremental_model_of(relation) -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model'
        and node.config.materialized == 'incremental'
        and node.alias | lower == relation.identifier | lower
        and node.schema | lower == relation.schema | lower -%}
        {%- do return(node) -%}
    {%- endfor -%}
    {%- do return(none) -%}
{%- endmacro %}
