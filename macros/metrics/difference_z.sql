{#- z of the difference of two independent values: (value₁ − value₀) / √(se₁² + se₀²), as for a
    change vs the previous period (DESIGN §5) or a unit vs the rest of its client. NULL when
    either standard error is unknown or both are zero (no test can be made). The difference is
    significant when |z| > critical_z(). -#}
{% macro difference_z(value_1, standard_error_1, value_0, standard_error_0) -%}
    case
        when pow({{ standard_error_1 }}, 2) + pow({{ standard_error_0 }}, 2) > 0
            then ({{ value_1 }} - {{ value_0 }})
            / sqrt(pow({{ standard_error_1 }}, 2) + pow({{ standard_error_0 }}, 2))
    end
{%- endmacro %}
