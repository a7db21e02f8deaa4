{#- The themes of each comment (multi-label): one row per comment × theme it raises, and one
    row with the catch-all theme (seed comment_themes, is_catch_all) for a comment that raises
    none. `comments` is a relation or CTE name with `key_columns` and a `text_column`.

    The lexicon (seed comment_theme_terms) is read when the model runs and compiled into one
    constant regular expression per theme: its `match` terms joined with `|`, applied after its
    `exclude` terms are blanked out of the text (so "user-friendly" is not about staff, and
    "odotukset" (expectations) is not about waiting). Constant patterns are compiled once per
    query; a pattern read from a column would be recompiled for every row.

    Negations keep their theme: "ei tarvinnut jonottaa" (no need to queue) is about waiting,
    a positive remark on it. A theme says what the comment is about, not its polarity. -#}
{% macro match_comment_themes(comments, key_columns, text_column) -%}
    {%- set themes_relation = ref('comment_themes') -%}
    {%- set terms_relation = ref('comment_theme_terms') -%}
    {%- set ns = namespace(catch_all=none) -%}
    {%- set theme_codes = [] -%}
    {%- set patterns = {} -%}
    {%- if execute -%}
        {%- set query -%}
            select
                themes.theme_code,
                themes.is_catch_all,
                terms.term_kind,
                {{ normalise_comment_text('terms.term') }} as term
            from {{ themes_relation }} as themes
            left join {{ terms_relation }} as terms
                on themes.theme_code = terms.theme_code
            order by themes.sort_order, terms.term_kind, terms.term
        {%- endset -%}
        {%- for row in run_query(query).rows -%}
            {%- if row['is_catch_all'] -%}
                {%- set ns.catch_all = row['theme_code'] -%}
            {%- elif row['term'] is not none -%}
                {%- if row['theme_code'] not in patterns -%}
                    {%- do theme_codes.append(row['theme_code']) -%}
                    {%- do patterns.update({row['theme_code']: {'match': [], 'exclude': []}}) -%}
                {%- endif -%}
                {%- do patterns[row['theme_code']][row['term_kind']].append(theme_term_regex(row['term'])) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if ns.catch_all is none -%}
            {{ exceptions.raise_compiler_error("match_comment_themes: comment_themes needs one catch-all theme") }}
        {%- endif -%}
    {%- endif -%}
    {%- set keys = key_columns | join(', ') -%}
    with theme_comments_normalised as (
        select
            {{ keys }},
            {{ normalise_comment_text(text_column) }} as normalised_text
        from {{ comments }}
    ),

    theme_comments_matched as (
        {%- for code in theme_codes %}
            {#- An apostrophe as the regex escape \x27: Spark reads '' inside a literal as the end
                of one literal and the start of the next, not as a quote. -#}
            {%- set match = patterns[code]['match'] | join('|') | replace("'", "\\x27") -%}
            {%- set exclude = patterns[code]['exclude'] | join('|') | replace("'", "\\x27") -%}
            {%- set text = regex_replace_all('normalised_text', "'" ~ exclude ~ "'", "' '") if exclude else 'normalised_text' %}
            select
                {{ keys }},
                '{{ code }}' as theme_code
            from theme_comments_normalised
            where {{ regex_matches(text, "'" ~ match ~ "'") }}
            {% if not loop.last %}union all{% endif %}
        {%- else %}
            select
                {{ keys }},
                cast(null as string) as theme_code
            from theme_comments_normalised
            where 1 = 0
        {%- endfor %}
    )

    select * from theme_comments_matched
    union all
    select
        {{ keys }},
        '{{ ns.catch_all }}' as theme_code
    from theme_comments_normalised
    where not exists (
        select 1
        from theme_comments_matched
        where
            {% for key in key_columns -%}
                theme_comments_matched.{{ key }} = theme_comments_normalised.{{ key }}
                {%- if not loop.last %} and {% endif %}
            {% endfor %}
    )
{%- endmacro %}
