{#- Period labels of DESIGN §5: month 2025-07, quarter 2025-Q3, year 2025. -#}
{% macro period_label(grain, month_start) -%}
    {%- if grain == 'month' -%}
        cast(year({{ month_start }}) as string) || '-' || lpad(cast(month({{ month_start }}) as string), 2, '0')
    {%- elif grain == 'quarter' -%}
        cast(year({{ month_start }}) as string) || '-Q' || cast(quarter({{ month_start }}) as string)
    {%- elif grain == 'year' -%}
        cast(year({{ month_start }}) as string)
    {%- else -%}
        {{ exceptions.raise_compiler_error("period_label: unknown grain " ~ grain) }}
    {%- endif -%}
{%- endmacro %}
