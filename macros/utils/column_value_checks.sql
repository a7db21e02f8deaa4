{#- The checks of the column_values data test (tests/generic/column_values.sql): a list of
    {rule, column, fails}, where `fails` is the SQL condition true for a row that breaks the
    rule. Rules, arguments and NULL handling as in dbt's not_null and accepted_values and the
    former between test. -#}
{% macro column_value_checks(not_null, accepted_values, between) -%}
    {%- set checks = [] -%}
    {%- for column in not_null -%}
        {%- do checks.append({'rule': 'not_null', 'column': column, 'fails': column ~ ' is null'}) -%}
    {%- endfor -%}
    {%- for column, values in accepted_values.items() -%}
        {%- set quoted = [] -%}
        {%- for value in values -%}
            {%- do quoted.append("'" ~ (value | string | replace("'", "''")) ~ "'") -%}
        {%- endfor -%}
        {%- do checks.append({
            'rule': 'accepted_values', 'column': column,
            'fails': column ~ ' not in (' ~ quoted | join(', ') ~ ')'
        }) -%}
    {%- endfor -%}
    {%- for column, range in between.items() -%}
        {%- set inclusive = range.get('inclusive', true) -%}
        {%- set bounds = [] -%}
        {%- if range.get('min_value') is not none -%}
            {%- do bounds.append(column ~ (' < ' if inclusive else ' <= ') ~ range['min_value']) -%}
        {%- endif -%}
        {%- if range.get('max_value') is not none -%}
            {%- do bounds.append(column ~ (' > ' if inclusive else ' >= ') ~ range['max_value']) -%}
        {%- endif -%}
        {%- do checks.append({
            'rule': 'between', 'column': column,
            'fails': '(' ~ (bounds | join(' or ') or 'false') ~ ')'
        }) -%}
    {%- endfor -%}
    {%- do return(checks) -%}
{%- endmacro %}
