{#- A select of the additive sums n, Σpoints and Σpoints² of a relation of observations
    (columns: `keys`, touchpoint_code, metric_code, statistic_kind, month_start, points) for
    every period of DESIGN §5 — month, quarter and year — per touchpoint and over all
    touchpoints (touchpoint_code '*'). Months are summed first and then rolled up, and only
    sums are added, so every roll-up is exact; values and errors are derived from the sums. -#}
{% macro roll_up_periods(observations, keys) -%}
    {%- set grains = ['month', 'quarter', 'year'] -%}
    {%- set period_keys = 'metric_code, statistic_kind, period_grain, period, period_start' -%}
    with monthly as (
        select
            {% for key in keys -%}
                {{ key }},
            {% endfor -%}
            touchpoint_code,
            metric_code,
            statistic_kind,
            month_start,
            count(*) as n,
            sum(points) as sum_x,
            sum(points * points) as sum_x2
        from {{ observations }}
        group by all
    )

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
            from monthly
            {% if not loop.last %}union all{% endif %}
        {% endfor -%}
    ) as by_period
    group by grouping sets (
        ({{ keys | join(', ') }}, touchpoint_code, {{ period_keys }}),
        ({{ keys | join(', ') }}, {{ period_keys }})
    )
{%- endmacro %}
