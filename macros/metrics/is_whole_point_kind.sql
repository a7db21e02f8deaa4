{#- Kinds whose answers must be whole scale points (an NPS of 8.5 or a top-2-box answer between
    two points has no meaning). -#}
{% macro is_whole_point_kind(metric_kind) -%}
    ({{ metric_kind }} in ('nps', 'top2box'))
{%- endmacro %}
