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

    select y.year as year, g.grouping as grouping, g.group_value as group_value, g.group_position as group_position,
           i.item as item, i.item_position as item_position
    from {{ years or ref('int_report_years') }} as y
    cross join {{ groups }} as g
    cross join {{ items }} as i
    where i.item_key in ('*', g.grouping, g.group_value)

)

select
    toUInt16(gr.year) as year,
    gr.grouping as grouping,
    gr.group_value as group_value,
    toUInt16(gr.group_position) as group_position,
    gr.item as item,
    toUInt16(gr.item_position) as item_position,
    toUInt64(coalesce(c.n, 0)) as n
from grid as gr
left join counted as c
    on c.year = gr.year and c.grouping = gr.grouping and c.group_value = gr.group_value and c.item = gr.item
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
