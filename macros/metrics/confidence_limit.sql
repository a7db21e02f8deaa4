{#- Lower or upper limit of the 95% confidence interval value ∓ moe, cut to the metric's range
    [value_min, value_max] (a share cannot be below 0, a CES not above 7). NULL when the margin
    of error is unknown (DuckDB's greatest/least would otherwise skip the NULL). -#}
{% macro confidence_limit(side, value, moe, value_min, value_max) -%}
    {%- if side == 'low' -%}
        case when {{ moe }} is not null then greatest({{ value }} - {{ moe }}, {{ value_min }}) end
    {%- elif side == 'high' -%}
        case when {{ moe }} is not null then least({{ value }} + {{ moe }}, {{ value_max }}) end
    {%- else -%}
        {{ exceptions.raise_compiler_error("confidence_limit: side is low or high, not " ~ side) }}
    {%- endif -%}
{%- endmacro %}
