{#- The newest delivery an incremental model already holds (0 while it is empty). Load ids only
    grow, so an incremental build reads just the rows with a larger load_id. A literal when the
    model runs (integer_at_run_time), so DuckDB skips the old deliveries' row groups. -#}
{% macro load_id_watermark() -%}
    {{ integer_at_run_time(
        '(select coalesce(max(watermark.load_id), 0) from ' ~ this ~ ' as watermark)'
    ) }}
{%- endmacro %}
