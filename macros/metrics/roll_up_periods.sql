{#- Rolls a relation of monthly sums (columns: `keys`, touchpoint_code, metric_code,
    statistic_kind, month_start, n, sum_x, sum_x2) up to every period of DESIGN §5 — month,
    quarter and year — per touchpoint and over all touchpoints (touchpoint_code '*'). Only the
    additive sums are added, so every roll-up is exact; values and errors are derived later. -#}
{% macro roll_up_periods(monthly, keys) -%}
    {%- set grains = ['month', 'quarter', 'year'] -%}
    {%- set period_keys = 'metric_code, statistic_kind, period_grain, period, period_start' -%}
    select
        {% for key in keys -%}
            {{ key }},
        {% endfor -%}
        coalesce(touchpoint_code, '*') as touchpoint_code,
        metric_code,
        statistic_kind,
        period_grain,
        period,
        period_start,
        cast(sum(n) as bigint) as n,
        sum(sum_x) as sum_x,
        sum(sum_x2) as sum_x2
    from (
        {% for grain in grains -%}
            select
                {% for key in keys -%}
                    {{ key }},
                {% endfor -%}
                touchpoint_code,
                metric_code,
                statistic_kind,
                '{{ grain }}' as period_grain,
                {{ period_label(grain, 'month_start') }} as period,
                cast(date_trunc('{{ grain }}', month_start) as date) as period_start,
                n,
                sum_x,
                sum_x2
            from {{ monthly }}
            {% if not loop.last %}union all{% endif %}
        {% endfor -%}
    ) as by_period
    group by grouping sets (
        ({{ keys | join(', ') }}, touchpoint_code, {{ period_keys }}),
        ({{ keys | join(', ') }}, {{ period_keys }})
    )
{%- endmacro %}
