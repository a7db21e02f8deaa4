{#- A select of every row of `relation` (one row per `keys` × touchpoint_code × metric_code ×
    period, with period_grain, period_start, n, value and standard_error) with the previous
    period of the same grain: previous_period, previous_n, previous_value, the change and its
    z = Δ / √(se₁² + se₀²) (DESIGN §5). NULL where there is no previous period. -#}
{% macro previous_period_change(relation, keys) -%}
    select
        this_period.*,
        previous.period as previous_period,
        previous.n as previous_n,
        previous.value as previous_value,
        this_period.value - previous.value as change,  -- noqa: RF04
        {{ difference_z(
            'this_period.value', 'this_period.standard_error', 'previous.value', 'previous.standard_error'
        ) }} as change_z
    from {{ relation }} as this_period
    left join {{ relation }} as previous
        on
            {% for key in keys -%}
                this_period.{{ key }} = previous.{{ key }}
                and
            {% endfor -%}
            this_period.touchpoint_code = previous.touchpoint_code
            and this_period.metric_code = previous.metric_code
            and this_period.period_grain = previous.period_grain
            and previous.period_start
            = {{ previous_period_start('this_period.period_grain', 'this_period.period_start') }}
{%- endmacro %}
