-- Grain: one row per year x grouping x group x item (LEARNING.md, `covid_factors_by_case_theme`:
-- the shape of the report's graph 2). Over the rapid reviews of Y: `reviews`, `recorded` (factors
-- not null), `citing_any` (recorded and not empty) and per COVID-19 factor the reviews citing it;
-- by case theme (first rule that applies, from the corrected category and the youngest child's
-- age; LEARNING.md reading 4) and for all reviews.
with reviews as (

    select
        year,
        multiIf(
            category in ('sudi', 'suicide'), category,
            category in ('physical_abuse', 'fatal_physical_abuse', 'overt_filicide', 'covert_filicide')
                and youngest_age = 0, 'nai_under_1',
            category in ('neglect', 'extreme_neglect'), 'neglect',
            category in ('extra_familial_homicide', 'extra_familial_fatal_assault', 'sexual_abuse_extra_familial',
                         'sexual_exploitation', 'criminal_exploitation', 'young_person_perpetrator',
                         'risk_taking_or_violent'), 'adolescent_extra_familial_harm',
            'other') as case_theme,
        arrayConcat(['reviews'],
                    if(covid_factors_recorded,
                       arrayConcat(['recorded'], if(notEmpty(covid_factors), ['citing_any'], []), covid_factors), []))
            as items
    from {{ reviews_of_year() }}

),

rows as (

    select year, g.1 as grouping, g.2 as group_value, items
    from reviews
    array join [('all', 'all'), ('case_theme', case_theme)] as g

),

groups as (

    select 'all' as grouping, 'all' as group_value, toUInt16(1) as group_position
    union all
    {{ enum_groups('case_theme', 'case_theme') }}

),

items as (

    select '*' as item_key, 'reviews' as item, toUInt16(1) as item_position
    union all
    select '*', 'recorded', toUInt16(2)
    union all
    select '*', 'citing_any', toUInt16(3)
    union all
    {{ enum_items('covid_factor', offset=3) }}

),

{{ learning_long('rows', 'groups', 'items') }}
