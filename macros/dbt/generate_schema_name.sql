{#- A model's schema is exactly the name configured for its folder (+schema in dbt_project.yml:
    staging, intermediate, marts, reference), not dbt's default "<target schema>_<name>": the
    Python side (cxbench/relations.py) and anyone querying the warehouse use the names as
    written. A node without +schema goes to the target's schema. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
