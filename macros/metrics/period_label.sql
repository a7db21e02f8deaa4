{#- Period labels of DESIGN §5: month 2025-07, quarter 2025-Q3, year 2025. -#}
{% macro period_label(grain, month_start) -%}
    {%- if grain == 'month' -%}
        strftime({{ month_start }}, '%Y-%m')
    {%- elif grain == 'quarter' -%}
        strftime({{ month_start }}, '%Y') || '-Q' || cast(quarter({{ month_start }}) as varchar)
    {%- elif grain == 'year' -%}
        strftime({{ month_start }}, '%Y')
    {%- else -%}
        {{ exceptions.raise_compiler_error("period_label: unknown grain " ~ grain) }}
    {%- endif -%}
{%- endmacro %}
