{#- Comment text as the theme lexicon matches it: lower case, accents stripped (ä → a, é → e),
    typographic apostrophes made plain. Both the comments and the lexicon's terms go through
    it, so matching is case- and accent-insensitive on every engine. -#}
{% macro normalise_comment_text(text) -%}
    {{ return(adapter.dispatch('normalise_comment_text', 'cxbench')(text)) }}
{%- endmacro %}

{% macro default__normalise_comment_text(text) -%}
    translate(lower(replace({{ text }}, '’', chr(39))), 'äöåáàâãéèêëíìîïóòôõúùûüýçñ', 'aoaaaaaeeeeiiiioooouuuuycn')
{%- endmacro %}

{% macro duckdb__normalise_comment_text(text) -%}
    strip_accents(lower(replace({{ text }}, '’', chr(39))))
{%- endmacro %}
