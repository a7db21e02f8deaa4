{#- The group's non-null `text` values joined by `delimiter` (a string literal), in the order of
    `order_by` (an expression). -#}
{% macro ordered_string_agg(text, delimiter, order_by) -%}
    {{ return(adapter.dispatch('ordered_string_agg', 'cxbench')(text, delimiter, order_by)) }}
{%- endmacro %}

{% macro default__ordered_string_agg(text, delimiter, order_by) -%}
    string_agg({{ text }}, {{ delimiter }} order by {{ order_by }})
{%- endmacro %}

{% macro spark__ordered_string_agg(text, delimiter, order_by) -%}
    array_join(
        transform(
            array_sort(collect_list(named_struct('sort_key', {{ order_by }}, 'item', {{ text }}))),
            entry -> entry.item
        ),
        {{ delimiter }}
    )
{%- endmacro %}
