{#- `text` with every match of `pattern` replaced by `replacement`; `case_insensitive` makes
    letters in the pattern match either case. -#}
{% macro regex_replace_all(text, pattern, replacement, case_insensitive=false) -%}
    {{ return(adapter.dispatch('regex_replace_all', 'cxbench')(text, pattern, replacement, case_insensitive)) }}
{%- endmacro %}

{% macro default__regex_replace_all(text, pattern, replacement, case_insensitive=false) -%}
    regexp_replace({{ text }}, {{ pattern }}, {{ replacement }}, 1, 0, '{{ "i" if case_insensitive else "c" }}')
{%- endmacro %}

{% macro duckdb__regex_replace_all(text, pattern, replacement, case_insensitive=false) -%}
    regexp_replace({{ text }}, {{ pattern }}, {{ replacement }}, '{{ "gi" if case_insensitive else "g" }}')
{%- endmacro %}

{% macro postgres__regex_replace_all(text, pattern, replacement, case_insensitive=false) -%}
    regexp_replace({{ text }}, {{ pattern }}, {{ replacement }}, '{{ "gi" if case_insensitive else "g" }}')
{%- endmacro %}

{% macro spark__regex_replace_all(text, pattern, replacement, case_insensitive=false) -%}
    regexp_replace({{ text }}, {{ "'(?i)' || " if case_insensitive }}{{ pattern }}, {{ replacement }})
{%- endmacro %}
