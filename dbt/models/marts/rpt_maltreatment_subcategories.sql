-- Grain: one row per report year x subcategory: notifications in Y of maltreatment-related deaths.
with counts as (

    select toUInt16(toYear(notified_date)) as year, assumeNotNull(subcategory) as subcategory,
           count() as notifications
    from {{ ref('int_cases_folded_as_at') }}
    where harm_type = 'death' and category = 'maltreatment_related_death' and subcategory is not null
    group by year, subcategory

)

select
    y.year as year,
    e.enum_value as subcategory,
    e.position as position,
    toUInt64(coalesce(c.notifications, 0)) as notifications
from {{ ref('int_report_years') }} as y
cross join {{ enum_values('subcategory') }} as e
left join counts as c on c.year = y.year and c.subcategory = e.enum_value
order by year, position
