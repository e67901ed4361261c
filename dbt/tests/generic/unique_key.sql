{#- The grain of a model: no two rows share these columns. -#}
{% test unique_key(model, columns) %}
select {{ columns | join(', ') }}, count() as rows_with_key
from {{ model }}
group by {{ columns | join(', ') }}
having rows_with_key > 1
{% endtest %}
