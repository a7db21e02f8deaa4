{#- The checks of the column_values data test (tests/generic/column_values.sql), a list of
    {rule, column, ...}:
      - row rules (not_null, accepted_values, between) carry `fails`, the SQL condition true for
        a row that breaks the rule; rules, arguments and NULL handling as in dbt's not_null and
        accepted_values and the former between test;
      - key rules (unique, unique_combination) carry `key`, the columns or expressions a row's
        key is made of, and `skip_nulls`: unique ignores rows whose column is NULL, as dbt's
        unique does; unique_combination groups NULLs like any value, as the former
        unique_combination test did. A unique_combination's column is its key as `(a, b)`;
      - reference rules (relationships) carry `to`, the parent relation, and `field`, its column
        the child column's non-NULL values must occur in, as in dbt's relationships test. -#}
{% macro column_value_checks(
    not_null, accepted_values, between, unique=[], unique_combination=[], relationships={}
) -%}
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
    {%- for column in unique -%}
        {%- do checks.append({
            'rule': 'unique', 'column': column, 'key': [column], 'skip_nulls': true
        }) -%}
    {%- endfor -%}
    {%- for columns in unique_combination -%}
        {%- if columns is string or columns | length == 0 -%}
            {{ exceptions.raise_compiler_error(
                'column_values: each unique_combination is a list of columns, not ' ~ columns) }}
        {%- endif -%}
        {%- do checks.append({
            'rule': 'unique_combination', 'column': '(' ~ columns | join(', ') ~ ')',
            'key': columns, 'skip_nulls': false
        }) -%}
    {%- endfor -%}
    {%- for column, parent in relationships.items() -%}
        {%- if parent is string or parent.get('to') is none or parent.get('field') is none -%}
            {{ exceptions.raise_compiler_error(
                'column_values: relationships maps ' ~ column ~ ' to {to, field}, not ' ~ parent) }}
        {%- endif -%}
        {%- do checks.append({
            'rule': 'relationships', 'column': column, 'to': parent['to'], 'field': parent['field']
        }) -%}
    {%- endfor -%}
    {%- do return(checks) -%}
{%- endmacro %}
