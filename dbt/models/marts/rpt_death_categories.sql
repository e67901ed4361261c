-- Grain: one row per report year x death category: notifications in Y with harm_type death.
with counts as (

    select toUInt16(toYear(notified_date)) as year, category, count() as notifications
    from {{ ref('int_cases_folded_as_at') }}
    where harm_type = 'death'
    group by year, category

)

select
    _y.year as year,
    _e.enum_value as category,
    _e.position as position,
    toUInt64(coalesce(_c.notifications, 0)) as notifications
from {{ ref('int_report_years') }} as _y
cross join {{ enum_values('death_category') }} as _e
left join counts as _c on _c.year = _y.year and _c.category = _e.enum_value
order by year, position
