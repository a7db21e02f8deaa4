{#- Fails for each combination of the given columns (or expressions) that occurs more than once. -#}
{% test unique_combination(model, columns) %}
select
    {% for column in columns %}{{ column }} as key_{{ loop.index }}, {% endfor %}
    count(*) as occurrences
from {{ model }}
group by all
having count(*) > 1
{% endtest %}
