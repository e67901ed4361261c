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
    y.year as year,
    e.enum_value as category,
    h.harm_type as harm_type,
    e.position as position,
    toUInt64(coalesce(c.notifications, 0)) as notifications
from {{ ref('int_report_years') }} as y
cross join {{ enum_values('non_fatal_category') }} as e
cross join harms as h
left join counts as c on c.year = y.year and c.category = e.enum_value and c.harm_type = h.harm_type
order by year, position, harm_type
