{#- Answers needed in each of two periods to detect a change `delta` with a two-sided 5% test
    and 80% power: n = (z₀.₉₇₅ + z₀.₈₀)² · (σ₀² + σ₁²) / Δ², with z₀.₉₇₅ = critical_z() (1.96)
    and z₀.₈₀ = 0.8416, σ₀² and σ₁² the variances of one observation before and after the change
    (observation_variance, variance_at_target). Rounded up; NULL when there is no change to
    detect or no variance to work with. -#}
{% macro answers_to_detect(variance_0, variance_1, delta) -%}
    case
        when {{ delta }} != 0 and {{ variance_0 }} + {{ variance_1 }} > 0
            then cast(
                ceil(
                    pow({{ critical_z() }} + 0.8416, 2)
                    * ({{ variance_0 }} + {{ variance_1 }})
                    / pow({{ delta }}, 2)
                ) as bigint
            )
    end
{%- endmacro %}
