{#- Fails when the model has fewer than min_rows rows (an empty mart is a broken build). It
    counts every row, on an incremental build too: the project's `where: __new_batch__` would
    count only what the build changed, which a delivery of quarantined rows alone can leave
    empty in a mart that is not. -#}
{% test row_count_at_least(model, min_rows=1) %}
    {{ config(where='true') }}
select row_count
from (select count(*) as row_count from {{ model }}) as counted
where row_count < {{ min_rows }}
{% endtest %}
