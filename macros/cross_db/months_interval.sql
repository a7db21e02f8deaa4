{#- An interval of `months` months (an integer expression), to add to or subtract from a date. -#}
{% macro months_interval(months) -%}
    {{ return(adapter.dispatch('months_interval', 'cxbench')(months)) }}
{%- endmacro %}

{% macro default__months_interval(months) -%}
    to_months({{ months }})
{%- endmacro %}

{% macro spark__months_interval(months) -%}
    make_ym_interval(0, {{ months }})
{%- endmacro %}
