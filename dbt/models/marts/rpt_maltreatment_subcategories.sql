-- Grain: one row per report year x subcategory: notifications in Y of maltreatment-related deaths.
with counts as (

    select toUInt16(toYear(notified_date)) as year, assumeNotNull(subcategory) as subcategory,
           count() as notifications
    from {{ ref('int_cases_folded_as_at') }}
    where harm_type = 'death' and category = 'maltreatment_related_death' and subcategory is not null
    group by year, subcategory

)

select
    _y.year as year,
    _e.enum_value as subcategory,
    _e.position as position,
    toUInt64(coalesce(_c.notifications, 0)) as notifications
from {{ ref('int_report_years') }} as _y
cross join {{ enum_values('subcategory') }} as _e
left join counts as _c on _c.year = _y.year and _c.subcategory = _e.enum_value
order by year, position
