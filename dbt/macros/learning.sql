{#- The learning marts' one shape (long, so that the viewer tables, the dashboard and the tests
    read every learning figure alike): one row per year x grouping x group_value x item, with
    the count `n` of rows of `rows` that list the item, zeros included.

    rows:   a CTE with year, grouping, group_value and items (Array(String)): what one case
            adds to that group (every review adds 'reviews'; a recorded one 'recorded' and its
            themes, ...). A case is in several groupings (all, quarter, age band ...): one row each.
    groups: a CTE with grouping, group_value, group_position: every group shown, empty or not.
    items:  a CTE with item_key, item, item_position: the items of a grouping or a group_value
            (item_key = either), or of every group (item_key = '*').
    years:  the years shown (default every report year). -#}
{% macro learning_long(rows, groups, items, years=none) -%}
counted as (

    select year, grouping, group_value, item, count() as n
    from {{ rows }}
    array join items as item
    group by year, grouping, group_value, item

),

grid as (

    select _y.year as year, _g.grouping as grouping, _g.group_value as group_value, _g.group_position as group_position,
           _i.item as item, _i.item_position as item_position
    from {{ years or ref('int_report_years') }} as _y
    cross join {{ groups }} as _g
    cross join {{ items }} as _i
    where _i.item_key in ('*', _g.grouping, _g.group_value)

)

select
    toUInt16(_gr.year) as year,
    _gr.grouping as grouping,
    _gr.group_value as group_value,
    toUInt16(_gr.group_position) as group_position,
    _gr.item as item,
    toUInt16(_gr.item_position) as item_position,
    toUInt64(coalesce(_c.n, 0)) as n
from grid as _gr
left join counted as _c
    on _c.year = _gr.year and _c.grouping = _gr.grouping and _c.group_value = _gr.group_value and _c.item = _gr.item
order by year, grouping, group_position, item_position
{%- endmacro %}

{#- The rapid reviews of year Y (first submission received in Y) with their learning. -#}
{% macro reviews_of_year() -%}
(
    select *, toUInt16(toYear(first_received_date)) as year
    from {{ ref('int_case_learning_as_at') }}
    where rapid_review_received
)
{%- endmacro %}

{#- An enum's values as (item_key, item, item_position) rows. -#}
{% macro enum_items(name, key="'*'", offset=0) -%}
    select {{ key }} as item_key, enum_value as item, toUInt16(position + {{ offset }}) as item_position
    from {{ ref('enum_values') }} where enum_name = '{{ name }}'
{%- endmacro %}

{#- An enum's values as (grouping, group_value, group_position) rows. -#}
{% macro enum_groups(name, grouping) -%}
    select '{{ grouping }}' as grouping, enum_value as group_value, toUInt16(position) as group_position
    from {{ ref('enum_values') }} where enum_name = '{{ name }}'
{%- endmacro %}
