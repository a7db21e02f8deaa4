{#- A select of the additive sums n, Σpoints and Σpoints² of a relation of observations
    (columns: `keys`, touchpoint_code, metric_code, statistic_kind, month_start, points) for
    every period of DESIGN §5 — month, quarter and year — per touchpoint and over all
    touchpoints (touchpoint_code '*'). Months are summed first and quarters and years are sums
    of months, so every roll-up is exact; values and errors are derived from the sums.

    In an incremental model (keys start with client_id; see int_client_metric_periods) the
    observations are those of the touched client × months only: their months are summed
    anew, and each touched quarter and year adds them to the untouched months of the same
    client the model already holds: `this`, or the CTE `months_before` where the model keeps
    its rows in another shape (the same columns as the result, with period_grain and
    period_start).

    With `summed`, the observations are already sums over a month (columns n, sum_x and sum_x2
    in place of points), for a model that can count them more cheaply than one row each. -#}
{% macro roll_up_periods(observations, keys, months_before=none, summed=false) -%}
    {%- set incremental = is_incremental() -%}
    {%- set month_keys = keys + ['touchpoint_code', 'metric_code', 'statistic_kind', 'month_start'] -%}
    with monthly as (
        select
            {{ month_keys | join(',\n            ') }},
            {% if summed -%}
                sum(n) as n,
                sum(sum_x) as sum_x,
                sum(sum_x2) as sum_x2
            {%- else -%}
                count(*) as n,
                sum(points) as sum_x,
                sum(points * points) as sum_x2
            {%- endif %}
        from {{ observations }}
        group by all
    ),

    month_rows as (
        select
            {{ keys | join(',\n            ') }},
            coalesce(touchpoint_code, '*') as touchpoint_code,
            metric_code,
            statistic_kind,
            month_start,
            cast(sum(n) as bigint) as n,
            sum(sum_x) as sum_x,
            sum(sum_x2) as sum_x2
        from monthly
        group by grouping sets (
            ({{ keys | join(', ') }}, touchpoint_code, metric_code, statistic_kind, month_start),
            ({{ keys | join(', ') }}, metric_code, statistic_kind, month_start)
        )
    ),

    all_months as (
        select * from month_rows
        {% if incremental -%}
            union all
            -- The months this build did not touch, of the years it did.
            select
                {{ keys | join(',\n                ') }},
                touchpoint_code,
                metric_code,
                statistic_kind,
                period_start as month_start,
                n,
                sum_x,
                sum_x2
            from {{ months_before or this }} as before
            where
                before.period_grain = 'month'
                and {{ in_touched_periods(
                    'before.client_id', "'year'", "cast(date_trunc('year', before.period_start) as date)"
                ) }}
                and not {{ in_touched_months('before.client_id', 'before.period_start') }}
        {%- endif %}
    )

    select
        {{ keys | join(',\n        ') }},
        touchpoint_code,
        metric_code,
        statistic_kind,
        'month' as period_grain,
        {{ period_label('month', 'month_start') }} as period,
        month_start as period_start,
        n,
        sum_x,
        sum_x2
    from month_rows
    {% for grain in ['quarter', 'year'] -%}
        union all
        select
            {{ keys | join(',\n            ') }},
            touchpoint_code,
            metric_code,
            statistic_kind,
            '{{ grain }}' as period_grain,
            {{ period_label(grain, 'month_start') }} as period,
            cast(date_trunc('{{ grain }}', month_start) as date) as period_start,
            cast(sum(n) as bigint) as n,
            sum(sum_x) as sum_x,
            sum(sum_x2) as sum_x2
        from all_months
        {% if incremental -%}
            where {{ in_touched_periods(
                'all_months.client_id', "'" ~ grain ~ "'",
                "cast(date_trunc('" ~ grain ~ "', all_months.month_start) as date)"
            ) }}
        {%- endif %}
        group by all
    {% endfor -%}
{%- endmacro %}
