{#- Every cell of a benchmark of the cell shape industry × touchpoint × period × measure that
    has data, contributor or not, in its own industry and in the all-industries ('*') roll-up:
    a cell without contributors still appears, as too_few_clients. -#}
{% macro benchmark_all_cells(relation, cell_columns) -%}
    {%- for industry in ['industry_code', "'*' as industry_code"] %}
    select distinct
        {{ industry }},
        touchpoint_code,
        period_grain,
        period,
        period_start,
        {{ cell_columns | join(',\n        ') }}
    from {{ relation }}
    {%- if not loop.last %}
    union
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
