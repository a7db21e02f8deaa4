{#- Variance of one observation's points once a value has moved by `gap` to its target, for the
    sample-size calculation of targets:
    - nps kind: the gap is closed the cheapest way, turning detractors into promoters first (each
      moves NPS by 2 points per 100 answers) and then passives into promoters; with the new
      shares P₁, D₁ per 100 the variance is 100·(P₁ + D₁) − (P₁ − D₁)² (DESIGN §4 in points²);
    - the other proportions (top-2-box, comment share: points 100/0): target · (100 − target), the variance of a proportion;
    - mean-type metrics: the current variance (the spread is assumed to stay as it is). -#}
{% macro variance_at_target(
    metric_kind, statistic_kind, variance_0, target, gap, promoters_per_100, detractors_per_100
) -%}
    case
        when {{ metric_kind }} = 'nps'
            then
                100.0 * (
                    {{ promoters_per_100 }} + {{ gap }} - least({{ detractors_per_100 }}, {{ gap }} / 2.0)
                    + {{ detractors_per_100 }} - least({{ detractors_per_100 }}, {{ gap }} / 2.0)
                )
                - pow({{ target }}, 2)
        when {{ statistic_kind }} = 'proportion'
            then {{ target }} * (100.0 - {{ target }})
        else {{ variance_0 }}
    end
{%- endmacro %}
