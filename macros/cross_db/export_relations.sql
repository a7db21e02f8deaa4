{#- on-run-end: when var spark_export names a folder and relations (cxbench build --engine
    spark sets it), write each relation as Parquet to <folder>/<schema>/<table>/, where the
    build's gates and publish read them. Nothing otherwise, and nothing on DuckDB, whose file
    the gates read directly. -#}
{% macro export_relations() -%}
    {{ return(adapter.dispatch('export_relations', 'cxbench')()) }}
{%- endmacro %}

{% macro default__export_relations() -%}
    select 1
{%- endmacro %}

{% macro spark__export_relations() -%}
    {%- set export = var('spark_export', none) -%}
    {%- if export and execute -%}
        {%- set relations = export['relations'] | list -%}
        {#- and every mart the API serves: the nodes of the exposure cxbench_api -#}
        {%- for exposure in graph.exposures.values() if exposure.name == 'cxbench_api' -%}
            {%- for node_id in exposure.depends_on.nodes -%}
                {%- set node = graph.nodes[node_id] -%}
                {%- do relations.append(node.schema ~ '.' ~ (node.alias or node.name)) -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- for relation in relations -%}
            {%- set parts = relation.split('.') -%}
            {%- do run_query(
                "insert overwrite directory '" ~ export['dir'] | replace("'", "") ~ "/" ~ parts[0] ~ "/"
                ~ parts[1] ~ "' using parquet select * from " ~ adapter.quote(parts[0]) ~ "."
                ~ adapter.quote(parts[1])
            ) -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}
