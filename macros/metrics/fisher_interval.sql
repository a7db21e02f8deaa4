{#- One end of the 95 % interval of a Pearson correlation r over n pairs by Fisher's z:
    tanh(atanh(r) ± critical_z / √(n − 3)). `side` is -1 (low) or +1 (high). A correlation of
    exactly ±1 has a degenerate interval at r; n ≤ 3 has none (NULL). -#}
{% macro fisher_interval(r, n, side) -%}
    case
        when {{ n }} <= 3 or {{ r }} is null then null
        when abs({{ r }}) >= 1 then {{ r }}
        else tanh(atanh({{ r }}) + ({{ side }}) * {{ critical_z() }} / sqrt({{ n }} - 3))
    end
{%- endmacro %}
