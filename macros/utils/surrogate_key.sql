{#- A stable key from several columns. Hashing a JSON array keeps ('a|b', 'c') and
    ('a', 'b|c') apart, which a plain separator would not. -#}
{% macro surrogate_key(columns) -%}
    md5(to_json([{% for column in columns %}cast({{ column }} as varchar){% if not loop.last %}, {% endif %}{% endfor %}]))
{%- endmacro %}
