{#- Every cell (all_cells) with its statistics (cell_statistics, NULL without contributors),
    whether its quantiles tie (quantiles_tied, with the ends of the scale when given) and its
    reason under the per-cell rule (cell_suppressed_reason): the `cells` input of
    complementary_suppression. statistics names the mart's own statistics columns. -#}
{% macro benchmark_cells_judged(all_cells, cell_statistics, measure_key, statistics=[], value_min=none, value_max=none) -%}
    select
        {{ all_cells }}.*,
        coalesce({{ cell_statistics }}.n_clients, 0) as n_clients,
        {%- for column in ['n_responses'] + statistics + ['mean_value', 'p10', 'p25', 'median', 'p75', 'p90', 'max_client_share'] %}
        {{ cell_statistics }}.{{ column }},
        {%- endfor %}
        coalesce({{ quantiles_tied(
            cell_statistics ~ '.p10', cell_statistics ~ '.p25', cell_statistics ~ '.median',
            cell_statistics ~ '.p75', cell_statistics ~ '.p90', cell_statistics ~ '.n_clients',
            value_min, value_max
        ) }}, false) as is_tied,
        {{ cell_suppressed_reason(cell_statistics ~ '.n_clients', cell_statistics ~ '.max_client_share') }}
            as suppressed_reason
    from {{ all_cells }}
    left join {{ cell_statistics }}
        on
            {{ all_cells }}.industry_code = {{ cell_statistics }}.industry_code
            and {{ all_cells }}.touchpoint_code = {{ cell_statistics }}.touchpoint_code
            and {{ all_cells }}.period = {{ cell_statistics }}.period
            {%- for column in measure_key %}
            and {{ all_cells }}.{{ column }} = {{ cell_statistics }}.{{ column }}
            {%- endfor %}
{%- endmacro %}
