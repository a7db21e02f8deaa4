{#- One NPS answer as points: promoter (9–10) +100, passive 0, detractor (0–6) −100.
    The mean of the points over n answers is 100·(P − D)/n, the NPS of DESIGN §4. -#}
{% macro nps_points(score) -%}
    case when {{ score }} >= 9 then 100.0 when {{ score }} <= 6 then -100.0 else 0.0 end
{%- endmacro %}
