-- Grain: one row per report year x group of deaths (para 25; producers/reference/LEARNING.md):
-- deaths notified in Y with neglect among their case characteristics (as corrected at T), for
-- SUDI, deaths related to maltreatment (SUDI, suicide and other related deaths) and all deaths.
with deaths as (

    select
        toUInt16(toYear(notified_date)) as year,
        category,
        has(case_characteristics, 'neglect') as has_neglect
    from {{ ref('int_cases_folded_as_at') }}
    where harm_type = 'death'

),

counts as (

    select year, 'sudi' as death_group, count() as notifications, countIf(has_neglect) as neglect
    from deaths where category = 'sudi' group by year
    union all
    select year, 'death_related_to_maltreatment', count(), countIf(has_neglect)
    from deaths where category in ('sudi', 'suicide', 'maltreatment_related_death') group by year
    union all
    select year, 'all_deaths', count(), countIf(has_neglect)
    from deaths group by year

),

groups as (

    select arrayJoin(['sudi', 'death_related_to_maltreatment', 'all_deaths']) as death_group

)

select
    _y.year as year,
    _g.death_group as death_group,
    toUInt64(coalesce(_c.notifications, 0)) as notifications,
    toUInt64(coalesce(_c.neglect, 0)) as neglect,
    {{ pct_one_decimal('neglect', 'notifications') }} as pct
from {{ ref('int_report_years') }} as _y
cross join groups as _g
left join counts as _c on _c.year = _y.year and _c.death_group = _g.death_group
order by year, death_group
