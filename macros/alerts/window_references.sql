{#- The references of a set of 7-day windows (`windows`: metric_windows' columns), each keyed by
    the first day of the latest 7 days it is compared with: both references end the day before
    those 7 days start. The comparison is named as in fct_client_alerts: previous_7_days or
    rolling_baseline. -#}
{% macro window_references(windows) -%}
    select
        client_id,
        touchpoint_code,
        metric_code,
        cast(window_end + 1 as date) as window_start,
        case
            when window_name = 'previous_7_days' then 'previous_7_days'
            else 'rolling_baseline'
        end as comparison,
        period as reference_period,
        n as reference_n,
        value as reference_value,
        standard_error as reference_standard_error
    from {{ windows }}
    where window_name in ('previous_7_days', 'baseline')
{%- endmacro %}
