{#- dbt's own macro with one placeholder more: `__new_batch__` in a data test's `where` config
    (dbt_project.yml sets it for every data test) becomes new_batch_condition(relation). -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- set where = where | replace('__new_batch__', new_batch_condition(relation)) -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
