{#- Lower or upper limit of the 95% confidence interval value ∓ margin_of_error(standard_error),
    cut to the metric's range [value_min, value_max] (a share cannot be below 0, a CES not
    above 7). NULL when the standard error is unknown (DuckDB's greatest/least would otherwise
    skip the NULL). -#}
{% macro confidence_limit(side, value, standard_error, value_min, value_max) -%}
    {%- if side == 'low' -%}
        case
            when {{ standard_error }} is not null
                then greatest({{ value }} - {{ margin_of_error(standard_error) }}, {{ value_min }})
        end
    {%- elif side == 'high' -%}
        case
            when {{ standard_error }} is not null
                then least({{ value }} + {{ margin_of_error(standard_error) }}, {{ value_max }})
        end
    {%- else -%}
        {{ exceptions.raise_compiler_error("confidence_limit: side is low or high, not " ~ side) }}
    {%- endif -%}
{%- endmacro %}
