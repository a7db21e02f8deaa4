{#- The 7-day alert windows as CTEs ending in one named `name`: for each client and each of its
    as-of days (`as_of_days`: client_id, as_of_date), the latest 7 days (as_of_date − 6 …
    as_of_date), the previous 7 days and the baseline (the alert_7d_baseline_weeks 7-day windows
    before the latest), per touchpoint and '*' × metric, from per-touchpoint daily sums (`days`:
    int_client_metric_days). int_client_metric_windows takes each client's latest day;
    fct_client_alerts takes earlier days to trace an alert's episode back. Emits
    `<name>_dated`, `<name>_spans`, `<name>_windowed`, `<name>_rolled_up` and `<name>`, each
    followed by a comma. -#}
{% macro metric_windows(name, days, as_of_days) -%}
-- weeks_back 0: as_of_date − 6 … as_of_date; 1: the 7 days before them; and so on.
{{ name }}_dated as (
    select
        {{ days }}.*,
        {{ as_of_days }}.as_of_date,
        {{ integer_divide(day_diff(days ~ '.responded_date', as_of_days ~ '.as_of_date'), 7) }}
            as weeks_back
    from {{ days }}
    inner join {{ as_of_days }}
        on {{ days }}.client_id = {{ as_of_days }}.client_id
    where
        {{ days }}.responded_date <= {{ as_of_days }}.as_of_date
        and {{ days }}.responded_date
        > {{ as_of_days }}.as_of_date - 7 * ({{ var('alert_7d_baseline_weeks') }} + 1)
),

-- Each window as the weeks back it spans (first_week … last_week).
{{ name }}_spans as (
    select
        'latest_7_days' as window_name,
        0 as first_week,
        0 as last_week
    union all
    select
        'previous_7_days' as window_name,
        1 as first_week,
        1 as last_week
    union all
    select
        'baseline' as window_name,
        1 as first_week,
        {{ var('alert_7d_baseline_weeks') }} as last_week
),

{{ name }}_windowed as (
    select
        {{ name }}_dated.*,
        {{ name }}_spans.window_name,
        {{ name }}_spans.first_week,
        {{ name }}_spans.last_week
    from {{ name }}_dated
    inner join {{ name }}_spans
        on {{ name }}_dated.weeks_back between {{ name }}_spans.first_week and {{ name }}_spans.last_week
),

{{ name }}_rolled_up as (
    select
        client_id,
        industry_code,
        coalesce(touchpoint_code, '*') as touchpoint_code,
        metric_code,
        statistic_kind,
        window_name,
        cast(as_of_date - 7 * last_week - 6 as date) as window_start,
        cast(as_of_date - 7 * first_week as date) as window_end,
        cast(sum(n) as bigint) as n,
        sum(sum_x) as sum_x,
        sum(sum_x2) as sum_x2,
        as_of_date
    from {{ name }}_windowed
    group by grouping sets (
        (
            client_id, industry_code, touchpoint_code, metric_code, statistic_kind,
            window_name, as_of_date, first_week, last_week
        ),
        (
            client_id, industry_code, metric_code, statistic_kind,
            window_name, as_of_date, first_week, last_week
        )
    )
),

{{ name }} as (
    select
        *,
        {{ date_label('window_start') }} || '…' || {{ date_label('window_end') }} as period,
        sum_x / n as value,
        {{ standard_error('statistic_kind', 'n', 'sum_x', 'sum_x2') }} as standard_error
    from {{ name }}_rolled_up
),
{%- endmacro %}
