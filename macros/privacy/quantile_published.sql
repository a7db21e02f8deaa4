{#- A quantile of client values as published (DESIGN §5.1): only for a published cell; p10 and
    p90 (is_tail) only with at least min_clients_p10_p90 contributors — with five, p10, p25,
    median, p75 and p90 fix every contributor's value; and every quantile but the median only
    when the cell's quantiles have no ties (quantiles_tied): two equal quantiles pin the values
    between them, and a neighbouring quantile then states one more contributor's value. -#}
{% macro quantile_published(quantile, suppressed_reason, n_clients, is_tail=false, is_tied=none) -%}
    case
        when {{ suppressed_reason }} is null
            {%- if is_tail %} and {{ n_clients }} >= {{ var('min_clients_p10_p90', 10) }}{% endif %}
            {%- if is_tied is not none %} and not {{ is_tied }}{% endif %}
            then {{ quantile }}
    end
{%- endmacro %}
