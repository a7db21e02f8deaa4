{#- Promoters, passives or detractors per 100 NPS answers, recovered exactly from the additive
    sums of NPS points: Σx = 100·(P − D) and Σx² = 100²·(P + D), so
    P per 100 = (Σx²/100 + Σx) / 2n and D per 100 = (Σx²/100 − Σx) / 2n. -#}
{% macro nps_group_per_100(group, n, sum_x, sum_x2) -%}
    {%- if group == 'promoters' -%}
        (({{ sum_x2 }} / 100.0 + {{ sum_x }}) / (2.0 * {{ n }}))
    {%- elif group == 'detractors' -%}
        (({{ sum_x2 }} / 100.0 - {{ sum_x }}) / (2.0 * {{ n }}))
    {%- elif group == 'passives' -%}
        (100.0 - {{ sum_x2 }} / (100.0 * {{ n }}))
    {%- else -%}
        {{ exceptions.raise_compiler_error("nps_group_per_100: unknown group " ~ group) }}
    {%- endif -%}
{%- endmacro %}
