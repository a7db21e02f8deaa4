{#- Whether two neighbouring quantiles that would be published are equal (within 1e-9): p25,
    median, p75 always, p10 and p90 with at least min_clients_p10_p90 contributors. -#}
{% macro quantiles_tied(p10, p25, median, p75, p90, n_clients) -%}
    (
        abs({{ p25 }} - {{ median }}) < 1e-9
        or abs({{ median }} - {{ p75 }}) < 1e-9
        or (
            {{ n_clients }} >= {{ var('min_clients_p10_p90', 10) }}
            and (abs({{ p10 }} - {{ p25 }}) < 1e-9 or abs({{ p75 }} - {{ p90 }}) < 1e-9)
        )
    )
{%- endmacro %}
