-- Grain: one row per year x direction (LEARNING.md, `panel_disagreement`; para 67). Over the
-- rapid reviews of Y whose latest Panel feedback known at T disagrees with the decision:
-- `disagrees`, and which way (lcspr_needed, lcspr_not_needed; not_recorded for a v1 feedback).
with rows as (

    select year, 'all' as grouping, 'all' as group_value,
           ['disagrees', coalesce(disagreement, 'not_recorded')] as items
    from {{ reviews_of_year() }}
    where panel_agrees = false

),

groups as (

    select 'all' as grouping, 'all' as group_value, toUInt16(1) as group_position

),

items as (

    select '*' as item_key, 'disagrees' as item, toUInt16(1) as item_position
    union all
    {{ enum_items('disagreement_direction', offset=1) }}
    union all
    select '*', 'not_recorded', toUInt16(100)

),

{{ learning_long('rows', 'groups', 'items') }}
