{#- Whether two neighbouring quantiles that would be published are equal (within 1e-9): p25,
    median, p75 always, p10 and p90 with at least min_clients_p10_p90 contributors. With
    value_min / value_max (the ends of the scale, optional) a quantile at an end counts as a tie
    too: it pins every value beyond it to that end just as two equal quantiles pin the values
    between them (a theme share of 0 % at p25 fixes the lowest clients at 0, and the mean then
    gives the highest one away). -#}
{% macro quantiles_tied(p10, p25, median, p75, p90, n_clients, value_min=none, value_max=none) -%}
    (
        abs({{ p25 }} - {{ median }}) < 1e-9
        or abs({{ median }} - {{ p75 }}) < 1e-9
        or (
            {{ n_clients }} >= {{ var('min_clients_p10_p90', 10) }}
            and (abs({{ p10 }} - {{ p25 }}) < 1e-9 or abs({{ p75 }} - {{ p90 }}) < 1e-9)
        )
        {%- for end in [value_min, value_max] if end is not none %}
        or abs({{ p25 }} - ({{ end }})) < 1e-9
        or abs({{ median }} - ({{ end }})) < 1e-9
        or abs({{ p75 }} - ({{ end }})) < 1e-9
        or (
            {{ n_clients }} >= {{ var('min_clients_p10_p90', 10) }}
            and (abs({{ p10 }} - ({{ end }})) < 1e-9 or abs({{ p90 }} - ({{ end }})) < 1e-9)
        )
        {%- endfor %}
    )
{%- endmacro %}
