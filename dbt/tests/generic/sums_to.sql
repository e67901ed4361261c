{#- Totals that must add up: per group, sum(column) over the rows matching `where` equals the
    value of `total_column` in `total_model` joined on `group_by` (and `total_where`). -#}
{% test sums_to(model, column_name, group_by, total_model, total_column, where='1', total_where='1') %}
with parts as (
    select {{ group_by | join(', ') }}, sum({{ column_name }}) as parts_sum
    from {{ model }} where {{ where }}
    group by {{ group_by | join(', ') }}
),
totals as (
    select {{ group_by | join(', ') }}, sum({{ total_column }}) as total
    from {{ total_model }} where {{ total_where }}
    group by {{ group_by | join(', ') }}
)
select _p.*, _t.total
from parts as _p
full outer join totals as _t using ({{ group_by | join(', ') }})
where _p.parts_sum != _t.total
{% endtest %}
