{#- The columns of a checked (and then classified) answer, in order: what int_answers_checked
    returns, the ingest API checks posted rows against, and int_answers_classified keeps before
    its row_status. One list, so the two models cannot drift apart. -#}
{% macro classified_answer_columns() -%}
    {{ return([
        'load_id', 'source_file', 'source_row', 'source_format', 'client_id', 'response_id',
        'responded_at_raw', 'responded_at', 'touchpoint_label', 'touchpoint_code', 'channel', 'unit',
        'question', 'answer_raw', 'answer_text', 'answer_number', 'industry_code', 'metric_code',
        'scale_min', 'scale_max', 'higher_is_better', 'reason_code',
    ]) }}
{%- endmacro %}
