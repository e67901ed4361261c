-- Grain: one row per report year x non-fatal category x harm_type (serious_harm, other).
with counts as (

    select toUInt16(toYear(notified_date)) as year, category, harm_type, count() as notifications
    from {{ ref('int_cases_folded_as_at') }}
    where harm_type != 'death'
    group by year, category, harm_type

),

harms as (

    select enum_value as harm_type, position from {{ enum_values('harm_type') }} where enum_value != 'death'

)

select
    _y.year as year,
    _e.enum_value as category,
    _h.harm_type as harm_type,
    _e.position as position,
    toUInt64(coalesce(_c.notifications, 0)) as notifications
from {{ ref('int_report_years') }} as _y
cross join {{ enum_values('non_fatal_category') }} as _e
cross join harms as _h
left join counts as _c on _c.year = _y.year and _c.category = _e.enum_value and _c.harm_type = _h.harm_type
order by year, position, harm_type
