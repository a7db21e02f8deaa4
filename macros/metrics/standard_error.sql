{#- Standard error of a cell value from its additive sums (n, Σx, Σx²).
    Proportion-type metrics (nps, csat, comment) use the population variance of their points —
    for NPS that is exactly P/n + D/n − ((P − D)/n)² of DESIGN §4, in points². Mean-type
    metrics (ces, osat, cx_index) use the sample variance, the usual standard error of a mean. -#}
{% macro standard_error(statistic_kind, n, sum_x, sum_x2) -%}
    case
        when {{ n }} is null or {{ n }} = 0 then null
        when {{ statistic_kind }} = 'proportion'
            then sqrt(greatest({{ sum_x2 }} / {{ n }} - pow({{ sum_x }} / {{ n }}, 2), 0) / {{ n }})
        when {{ n }} > 1
            then sqrt(
                greatest(({{ sum_x2 }} - pow({{ sum_x }}, 2) / {{ n }}) / ({{ n }} - 1), 0)
                / {{ n }}
            )
    end
{%- endmacro %}
