{#- Fails for each row whose column lies outside [min_value, max_value] (or the open interval
    when inclusive is false). NULLs pass; pair with not_null where they must not occur. -#}
{% test between(model, column_name, min_value=none, max_value=none, inclusive=true) %}
    {%- set below = '<' if inclusive else '<=' -%}
    {%- set above = '>' if inclusive else '>=' -%}

    select {{ column_name }} as out_of_range_value
    from {{ model }}
    where
        {{ column_name }} {{ below }} {{ min_value if min_value is not none else 'null' }}
        or {{ column_name }} {{ above }} {{ max_value if max_value is not none else 'null' }}

{% endtest %}
