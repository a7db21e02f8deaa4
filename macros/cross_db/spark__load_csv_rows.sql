{#- Seeds on Spark: dbt-spark's own version hands each value to the session as '<value>'
    unescaped, so a seed text with an apostrophe breaks the insert and an empty cell arrives as
    the text 'None'. Here every value is a literal of its own: NULL for an empty cell, a
    number as written, a text with each apostrophe spelled chr(39) (valid whatever the
    session's string-literal escaping). -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                (
                {%- for value in row -%}
                    {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
                    {%- set type = column_override.get(agate_table.column_names[loop.index0], inferred_type) -%}
                    cast({{ spark_seed_literal(value) }} as {{ type }})
                    {%- if not loop.last %}, {% endif -%}
                {%- endfor -%}
                ){%- if not loop.last %},{% endif %}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first -%}{%- do statements.append(sql) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(statements[0]) }}
{% endmacro %}

{#- One seed cell as a Spark SQL literal (see spark__load_csv_rows). -#}
{% macro spark_seed_literal(value) -%}
    {%- if value is none -%}
        null
    {%- elif value is number or value is sameas true or value is sameas false -%}
        {{ value | string | lower if value is sameas true or value is sameas false else value }}
    {%- else -%}
        '{{ value | string | replace("'", "' || chr(39) || '") }}'
    {%- endif -%}
{%- endmacro %}
