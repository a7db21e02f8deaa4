{#- The graph node of the incremental model that `relation` is and that carries deliveries
    (a load_id column), or none. The incremental aggregates (keyed on client × period) have no
    load_id: their tests read every row. -#}
{% macro incremental_model_of(relation) -%}
    {%- for node in batched_incremental_models()
        if node.alias | lower == relation.identifier | lower
        and node.schema | lower == relation.schema | lower -%}
        {%- do return(node) -%}
    {%- endfor -%}
    {%- do return(none) -%}
{%- endmacro %}

{#- Incremental models whose rows carry the delivery they came from (load_id): the ones
    record_batch_watermarks keeps a watermark for. -#}
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
