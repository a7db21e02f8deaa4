{#- A quantile of client values as published: p10 and p90 only with at least
    min_clients_p10_p90 contributors (DESIGN §5.1: with five, p10, p25, median, p75 and p90 fix
    every contributor's value), any quantile only for a published cell. -#}
{% macro quantile_published(quantile, suppressed_reason, n_clients, is_tail=false) -%}
    case
        when {{ suppressed_reason }} is null
            {%- if is_tail %} and {{ n_clients }} >= {{ var('min_clients_p10_p90', 10) }}{% endif %}
            then {{ quantile }}
    end
{%- endmacro %}
