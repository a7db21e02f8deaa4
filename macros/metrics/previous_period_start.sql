{#- First day of the previous period of the same grain (month, quarter or year), for changes. -#}
{% macro previous_period_start(grain, period_start) -%}
    cast(
        case {{ grain }}
            when 'month' then {{ period_start }} - interval 1 month
            when 'quarter' then {{ period_start }} - interval 3 month
            when 'year' then {{ period_start }} - interval 1 year
        end as date
    )
{%- endmacro %}

{#- First day of the next period of the same grain: the period whose change reads this one. -#}
{% macro next_period_start(grain, period_start) -%}
    cast(
        case {{ grain }}
            when 'month' then {{ period_start }} + interval 1 month
            when 'quarter' then {{ period_start }} + interval 3 month
            when 'year' then {{ period_start }} + interval 1 year
        end as date
    )
{%- endmacro %}
