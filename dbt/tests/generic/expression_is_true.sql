{#- Every row satisfies a boolean expression (e.g. statuses add up to the total). -#}
{% test expression_is_true(model, expression, column_name=none) %}
select * from {{ model }} where not ({{ expression }})
{% endtest %}
