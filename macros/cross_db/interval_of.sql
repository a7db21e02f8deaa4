{#- An interval of `amount` (an integer expression) months or hours, to add to or subtract from
    a date or timestamp. -#}
{% macro interval_of(amount, unit) -%}
    {%- if unit not in ['month', 'hour'] -%}
        {{ exceptions.raise_compiler_error("interval_of: unit must be month or hour, not " ~ unit) }}
    {%- endif -%}
    {{ return(adapter.dispatch('interval_of', 'cxbench')(amount, unit)) }}
{%- endmacro %}

{% macro default__interval_of(amount, unit) -%}
    to_{{ unit }}s({{ amount }})
{%- endmacro %}

{% macro spark__interval_of(amount, unit) -%}
    {%- if unit == 'month' -%}
        make_ym_interval(0, {{ amount }})
    {%- else -%}
        make_dt_interval(0, {{ amount }}, 0, 0)
    {%- endif -%}
{%- endmacro %}
