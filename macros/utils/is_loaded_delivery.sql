{#- Whether a landed row's delivery is one the load log records as loaded: a file an
    interrupted landing left on disk is not a delivery yet (the next landing removes it and may
    reuse its load id). Staging reads one source each, so the models that read landed rows or
    rejected lines apply this, against stg_landing__load_log. -#}
{% macro is_loaded_delivery(load_id, load_log) -%}
    {{ load_id }} in (
        select {{ load_log }}.load_id from {{ load_log }}
        where {{ load_log }}.file_status = 'loaded'
    )
{%- endmacro %}
