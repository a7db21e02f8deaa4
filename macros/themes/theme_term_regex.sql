{#- The regular expression of one lexicon term, already normalised (normalise_comment_text).
    Term syntax: words separated by spaces (any run of non-word characters matches a space, so
    "e mail" matches "e-mail"); a trailing `*` matches any ending (a Finnish stem: "jono*" →
    jonossa, jonottaa), a leading `*` any beginning (compounds: "*jono*" → puhelinjonossa);
    without a `*` the term must end (or begin) at a word boundary; an apostrophe is optional
    ("can't" also matches "cant"). -#}
{% macro theme_term_regex(term) -%}
    {%- set boundary = regex_word_boundary() -%}
    {%- set body = term.strip('*').replace(' ', '\\W+').replace("'", "'?") -%}
    {{- return(('' if term.startswith('*') else boundary) ~ body ~ ('' if term.endswith('*') else boundary)) -}}
{%- endmacro %}
