{#- z of the two-proportion test of x₁/n₁ against x₀/n₀ with the pooled proportion
    p = (x₁ + x₀)/(n₁ + n₀): (x₁/n₁ − x₀/n₀) / √(p(1 − p)(1/n₁ + 1/n₀)). NULL when either group
    is empty or p is 0 or 1 (no test can be made). Significant when |z| > critical_z(). -#}
{% macro two_proportion_z(x_1, n_1, x_0, n_0) -%}
    case
        when
            {{ n_1 }} > 0 and {{ n_0 }} > 0
            and ({{ x_1 }} + {{ x_0 }}) > 0 and ({{ x_1 }} + {{ x_0 }}) < ({{ n_1 }} + {{ n_0 }})
            then
                ({{ as_double('1.0') }} * {{ x_1 }} / {{ n_1 }} - {{ as_double('1.0') }} * {{ x_0 }} / {{ n_0 }})
                / sqrt(
                    ({{ as_double('1.0') }} * ({{ x_1 }} + {{ x_0 }}) / ({{ n_1 }} + {{ n_0 }}))
                    * (1 - {{ as_double('1.0') }} * ({{ x_1 }} + {{ x_0 }}) / ({{ n_1 }} + {{ n_0 }}))
                    * ({{ as_double('1.0') }} / {{ n_1 }} + {{ as_double('1.0') }} / {{ n_0 }})
                )
    end
{%- endmacro %}
