{#- A statistic of client values as published (DESIGN §5.1), NULL unless the cell is published.
    p10 and p90 only with at least min_clients_p10_p90 contributors — with five, p10, p25,
    median, p75 and p90 fix every contributor's value — and every quantile but the median only
    when the cell's quantiles have no ties (quantiles_tied): two equal quantiles pin the values
    between them, and a neighbouring quantile then states one more contributor's value.
    strict is the rule for values that are small fractions k/n (theme shares): the attack suite
    solved all six contributors of a demo cell from its quartiles, median and mean, so p25 and
    p75 also need min_clients_p10_p90 contributors, and a tied cell shows no median or mean. -#}
{% macro quantile_published(quantile, statistic, suppressed_reason, n_clients, is_tied, strict=false) -%}
    {%- set needs_ten = statistic in ['p10', 'p90'] or (strict and statistic in ['p25', 'p75']) -%}
    {%- set needs_untied = statistic in ['p10', 'p25', 'p75', 'p90'] or strict -%}
    case
        when {{ suppressed_reason }} is null
            {%- if needs_ten %} and {{ n_clients }} >= {{ var('min_clients_p10_p90', 10) }}{% endif %}
            {%- if needs_untied %} and not {{ is_tied }}{% endif %}
            then {{ quantile }}
    end
{%- endmacro %}
