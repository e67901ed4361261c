-- Grain: one row per year x grouping x group x item (producers/reference/LEARNING.md,
-- `practice_themes`). Over the rapid reviews of Y (first submission received in Y), learning of
-- the latest submission known at T: `reviews`, `recorded` (themes not null) and per key practice
-- theme the recorded reviews that evidence it (share = theme / recorded). Groupings: all;
-- quarter (of the first submission's received_date, Q1..Q4); harm_type; category (as corrected
-- at T); age_band (of the youngest child).
with reviews as (

    select
        year,
        concat('Q', toString(toQuarter(first_received_date))) as quarter,
        harm_type,
        category,
        multiIf(youngest_age = 0, 'under_1', youngest_age <= 4, '1_to_4', youngest_age <= 9, '5_to_9',
                youngest_age <= 14, '10_to_14', '15_to_17') as age_band,
        arrayConcat(['reviews'], if(practice_themes_recorded, arrayConcat(['recorded'], practice_themes), []))
            as items
    from {{ reviews_of_year() }}

),

rows as (

    select year, g.1 as grouping, g.2 as group_value, items
    from reviews
    array join [('all', 'all'), ('quarter', quarter), ('harm_type', harm_type), ('category', category),
                ('age_band', age_band)] as g

),

groups as (

    select 'all' as grouping, 'all' as group_value, toUInt16(1) as group_position
    union all
    select 'quarter', concat('Q', toString(number + 1)), toUInt16(number + 1) from numbers(4)
    union all
    {{ enum_groups('harm_type', 'harm_type') }}
    union all
    {{ enum_groups('death_category', 'category') }}
    union all
    select 'category', enum_value, toUInt16(position + 100) from {{ ref('enum_values') }}
    where enum_name = 'non_fatal_category'
    union all
    {{ enum_groups('age_band', 'age_band') }}

),

items as (

    select '*' as item_key, 'reviews' as item, toUInt16(1) as item_position
    union all
    select '*', 'recorded', toUInt16(2)
    union all
    {{ enum_items('practice_theme', offset=2) }}

),

{{ learning_long('rows', 'groups', 'items') }}
