{#- A benchmark mart's rows: each judged cell with its final decision (decided, from
    complementary_suppression) and only what that decision lets it publish, in this order: the
    cell's n as n_column, the mart's `published` (alias, expression) pairs, the mean of the
    client values as mean_column, the quantiles, the mart's `published_after` pairs. Each is
    NULL unless the cell is published; the mean and the quantiles follow quantile_published
    (strict: its rule for small fractions k/n such as theme shares). -#}
{% macro benchmark_cells_published(
    cell_id, measure_key, n_column, published=[], mean_column='mean', published_after=[], strict=false
) -%}
    {%- set reason = 'decided.suppressed_reason' -%}
    {%- set cell_key = ['judged.industry_code', 'judged.touchpoint_code', 'judged.period'] -%}
    {%- for column in measure_key %}{% set _ = cell_key.append('judged.' ~ column) %}{% endfor -%}
    select
        {{ surrogate_key(cell_key) }} as {{ cell_id }},
        judged.industry_code,
        judged.touchpoint_code,
        judged.period_grain,
        judged.period,
        judged.period_start,
        {%- for column in measure_key %}
        judged.{{ column }},
        {%- endfor %}
        judged.n_clients,
        {{ reason }} is null as is_published,
        {{ reason }},
        decided.suppression_round,
        decided.suppression_family,
        -- Withheld unless published: these could reveal one client's figures.
        {%- for alias, expression in [(n_column, 'judged.n_responses')] + published %}
        case when {{ reason }} is null then {{ expression }} end as {{ alias }},
        {%- endfor %}
        {{ quantile_published('judged.mean_value', 'mean', reason, 'judged.n_clients', 'judged.is_tied', strict) }}
            as {{ mean_column }},
        {%- for quantile in ['p10', 'p25', 'median', 'p75', 'p90'] %}
        {{ quantile_published('judged.' ~ quantile, quantile, reason, 'judged.n_clients', 'judged.is_tied', strict) }}
            as {{ quantile }}{% if not loop.last or published_after %},{% endif %}
        {%- endfor %}
        {%- for alias, expression in published_after %}
        case when {{ reason }} is null then {{ expression }} end as {{ alias }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from judged
    inner join decided
        on
            judged.industry_code = decided.industry_code
            and judged.touchpoint_code = decided.touchpoint_code
            and judged.period = decided.period
            {%- for column in measure_key %}
            and judged.{{ column }} = decided.{{ column }}
            {%- endfor %}
{%- endmacro %}
