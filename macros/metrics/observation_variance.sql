{#- Variance of one observation's points in a cell, from its additive sums (n, Σx, Σx²).
    Proportion-type metrics (the nps, top2box and comment_share kinds) use the population variance of their points:
    for NPS (points ±100/0) that is 100² · (P/n + D/n − ((P − D)/n)²), the variance of DESIGN §4
    in points²; for a top-2-box or comment share (points 100/0) it is 100² · p(1 − p). Their
    sums are whole numbers, so this is exact.
    Mean-type metrics (every other kind) use the sample variance (n − 1), NULL for n = 1.
    Σx² − (Σx)²/n cancels when the points are (nearly) equal: 66.67 three times gives 9e-13,
    not 0. A variance below 1e-12 · Σx²/n is such rounding noise, so it is reported as 0. -#}
{% macro observation_variance(statistic_kind, n, sum_x, sum_x2) -%}
    case
        when {{ n }} is null or {{ n }} = 0 then null
        when {{ statistic_kind }} = 'proportion'
            then greatest({{ sum_x2 }} / {{ n }} - pow({{ sum_x }} / {{ n }}, 2), 0)
        when {{ n }} > 1 and ({{ sum_x2 }} - pow({{ sum_x }}, 2) / {{ n }}) / ({{ n }} - 1)
            > 1e-12 * {{ sum_x2 }} / {{ n }}
            then ({{ sum_x2 }} - pow({{ sum_x }}, 2) / {{ n }}) / ({{ n }} - 1)
        when {{ n }} > 1 then 0.0
    end
{%- endmacro %}
