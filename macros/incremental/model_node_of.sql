{#- The graph node of the model `relation` is, or none. -#}
{% macro model_node_of(relation) -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model'
        and node.alias | lower == relation.identifier | lower
        and node.schema | lower == relation.schema | lower -%}
        {%- do return(node) -%}
    {%- endfor -%}
    {%- do return(none) -%}
{%- endmacro %}

{#- Incremental models whose rows carry the delivery they came from (load_id): the ones
    record_batch_watermarks keeps a watermark for. The incremental aggregates (client ×
    period) have none. -#}
{% macro batched_incremental_models() -%}
    {%- set found = [] -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model'
        and node.config.materialized == 'incremental'
        and 'load_id' in node.columns -%}
        {%- do found.append(node) -%}
    {%- endfor -%}
    {%- do return(found) -%}
{%- endmacro %}
