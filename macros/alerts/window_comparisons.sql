{#- Each current window of a series against each of its reference windows, for the drop alerts
    of fct_client_alerts (month and 7-day windows alike): the change and its two-sided z
    (difference_z over the standard errors of standard_error). `current` has the series keys,
    industry_code, period, window_start, n, value and standard_error; `reference` the series
    keys, the window_start of the current window it is compared with, comparison and the
    reference_period, reference_n, reference_value and reference_standard_error. -#}
{% macro window_comparisons(current, reference) -%}
    select
        {{ current }}.client_id,
        {{ current }}.industry_code,
        {{ current }}.touchpoint_code,
        {{ current }}.metric_code,
        {{ current }}.period,
        {{ current }}.window_start,
        {{ reference }}.comparison,
        {{ current }}.n,
        {{ current }}.value,
        {{ current }}.standard_error,
        {{ reference }}.reference_period,
        {{ reference }}.reference_n,
        {{ reference }}.reference_value,
        {{ reference }}.reference_standard_error,
        {{ current }}.value - {{ reference }}.reference_value as change,  -- noqa: RF04
        {{ difference_z(
            current ~ '.value', current ~ '.standard_error',
            reference ~ '.reference_value', reference ~ '.reference_standard_error'
        ) }} as change_z
    from {{ current }}
    inner join {{ reference }}
        on
            {{ current }}.client_id = {{ reference }}.client_id
            and {{ current }}.touchpoint_code = {{ reference }}.touchpoint_code
            and {{ current }}.metric_code = {{ reference }}.metric_code
            and {{ current }}.window_start = {{ reference }}.window_start
{%- endmacro %}
