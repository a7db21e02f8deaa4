{#- Fails when the model has fewer than min_rows rows (an empty mart is a broken build). -#}
{% test row_count_at_least(model, min_rows=1) %}
select row_count
from (select count(*) as row_count from {{ model }}) as counted
where row_count < {{ min_rows }}
{% endtest %}
