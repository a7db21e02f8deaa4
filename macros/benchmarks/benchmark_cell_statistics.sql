{#- The statistics every benchmark cell computes over its contributors (one row per client ×
    cell, '*' industry included): n_clients, n_responses (the cell's n: answers, paired
    responses or comments), the mean and the quantiles of the client values, the largest
    client's share of n; plus the mart's own statistics, given as (alias, expression) pairs. -#}
{% macro benchmark_cell_statistics(contributions, measure_key, value, weight, statistics=[]) -%}
    select
        industry_code,
        touchpoint_code,
        period,
        {{ measure_key | join(',\n        ') }},
        count(*) as n_clients,
        cast(sum({{ weight }}) as bigint) as n_responses,
        {%- for alias, expression in statistics %}
        {{ expression }} as {{ alias }},
        {%- endfor %}
        {{ as_double('avg(' ~ value ~ ')') }} as mean_value,
        {%- for name, fraction in [('p10', '0.10'), ('p25', '0.25'), ('median', '0.50'), ('p75', '0.75'), ('p90', '0.90')] %}
        percentile_cont({{ fraction }}) within group (order by {{ value }}) as {{ name }},
        {%- endfor %}
        {{ as_double('1.0 * max(' ~ weight ~ ')') }} / sum({{ weight }}) as max_client_share
    from {{ contributions }}
    group by industry_code, touchpoint_code, period, {{ measure_key | join(', ') }}
{%- endmacro %}
