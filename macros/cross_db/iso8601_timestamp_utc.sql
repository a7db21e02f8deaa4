{#- An ISO 8601 date or timestamp as UTC (DESIGN §2): `YYYY-MM-DD`, optionally `T` or a space
    and `hh:mm[:ss[.fff]]`, optionally `Z` or an offset `±hh`, `±hhmm` or `±hh:mm`; a naive
    value is UTC. Anything else is NULL, also what one engine would read and another not
    (DuckDB's 'epoch' and time-zone names; Spark reads an offset `+02` as NULL, so every
    offset is written `±hh:mm` before the engine casts). -#}
{% macro iso8601_timestamp_utc(text) -%}
    {%- set iso8601 = "'[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?'" -%}
    {%- set time_then = "'.*[T ][0-9:.]+[+-]" -%}
    case
        when not {{ regex_full_match(text, iso8601) }} then null
        when {{ regex_full_match(text, time_then ~ "[0-9]{2}'") }}
            then {{ adapter.dispatch('cast_timestamp_utc', 'cxbench')(text ~ " || ':00'") }}
        when {{ regex_full_match(text, time_then ~ "[0-9]{4}'") }}
            then {{ adapter.dispatch('cast_timestamp_utc', 'cxbench')(
                "left(" ~ text ~ ", length(" ~ text ~ ") - 2) || ':' || right(" ~ text ~ ", 2)"
            ) }}
        else {{ adapter.dispatch('cast_timestamp_utc', 'cxbench')(text) }}
    end
{%- endmacro %}

{#- A checked ISO 8601 text with an optional `±hh:mm` offset as a UTC timestamp; NULL for an
    impossible date such as 2025-02-30. -#}
{% macro default__cast_timestamp_utc(text) -%}
    try_cast({{ text }} as timestamp)
{%- endmacro %}

{% macro duckdb__cast_timestamp_utc(text) -%}
    timezone('UTC', try_cast({{ text }} as timestamptz))
{%- endmacro %}
