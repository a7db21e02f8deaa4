{#- A stable key from several columns. Hashing a JSON array keeps ('a|b', 'c') and
    ('a', 'b|c') apart, which a plain separator would not. -#}
{% macro surrogate_key(columns) -%}
    {%- set items = [] -%}
    {%- for column in columns %}{% do items.append('cast(' ~ column ~ ' as string)') %}{% endfor -%}
    md5(to_json({{ array_of(items) }}))
{%- endmacro %}
