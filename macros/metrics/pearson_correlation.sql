{#- Pearson's r from the additive sums of n pairs (Σx, Σy, Σx², Σy², Σxy), so months roll up
    to quarters and years exactly: (nΣxy − ΣxΣy) / √((nΣx² − (Σx)²)(nΣy² − (Σy)²)), clamped
    to [−1, 1] against float rounding. NULL when either side has no variance. -#}
{% macro pearson_correlation(n, sum_x, sum_y, sum_x2, sum_y2, sum_xy) -%}
    case
        when {{ variance_is_zero(n, sum_x, sum_x2) }} or {{ variance_is_zero(n, sum_y, sum_y2) }} then null
        else greatest(-1.0, least(1.0,
            ({{ n }} * {{ sum_xy }} - {{ sum_x }} * {{ sum_y }})
            / sqrt(
                ({{ n }} * {{ sum_x2 }} - {{ sum_x }} * {{ sum_x }})
                * ({{ n }} * {{ sum_y2 }} - {{ sum_y }} * {{ sum_y }})
            )
        ))
    end
{%- endmacro %}
