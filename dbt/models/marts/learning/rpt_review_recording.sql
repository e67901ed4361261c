-- Grain: one row per year x field x answer (LEARNING.md, `ethnicity_recorded`,
-- `family_detail_recorded`; para 66: "a common omission"). Over the rapid reviews of Y, the
-- latest submission's answer: yes, no, not_recorded (a v1 review, or not known). The share
-- recorded is yes / (yes + no) (the viewer table carries it).
with rows as (

    select year, 'field' as grouping, g.1 as group_value,
           [multiIf(g.2 is null, 'not_recorded', g.2, 'yes', 'no')] as items
    from {{ reviews_of_year() }}
    array join [('ethnicity_recorded', ethnicity_recorded), ('family_detail_recorded', family_detail_recorded)] as g

),

groups as (

    select 'field' as grouping, 'ethnicity_recorded' as group_value, toUInt16(1) as group_position
    union all
    select 'field', 'family_detail_recorded', toUInt16(2)

),

items as (

    select '*' as item_key, arrayJoin(['yes', 'no', 'not_recorded']) as item,
           toUInt16(indexOf(['yes', 'no', 'not_recorded'], item)) as item_position

),

{{ learning_long('rows', 'groups', 'items') }}
