{#- The per-cell publication rule of DESIGN §5 as a reason code: too_few_clients below
    min_clients contributors, dominant_client when one holds more than max_client_share of the
    answers, NULL when the cell may be published (before §5.1's complementary suppression). -#}
{% macro cell_suppressed_reason(n_clients, max_client_share) -%}
    case
        when coalesce({{ n_clients }}, 0) < {{ var('min_clients') }} then 'too_few_clients'
        when {{ max_client_share }} > {{ var('max_client_share') }} then 'dominant_client'
    end
{%- endmacro %}
