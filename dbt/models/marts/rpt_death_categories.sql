-- Grain: one row per report year x death category: notifications in Y with harm_type death.
with counts as (

    select toUInt16(toYear(notified_date)) as year, category, count() as notifications
    from {{ ref('int_cases_folded_as_at') }}
    where harm_type = 'death'
    group by year, category

)

select
    y.year as year,
    e.enum_value as category,
    e.position as position,
    toUInt64(coalesce(c.notifications, 0)) as notifications
from {{ ref('int_report_years') }} as y
cross join {{ enum_values('death_category') }} as e
left join counts as c on c.year = y.year and c.category = e.enum_value
order by year, position
