-- Grain: one row per report year x case characteristic x harm_type: notifications in Y citing it.
with cited as (

    select toUInt16(toYear(notified_date)) as year, harm_type,
           arrayJoin(arrayDistinct(case_characteristics)) as characteristic
    from {{ ref('int_cases_folded_as_at') }}

),

counts as (

    select year, characteristic, harm_type, count() as notifications
    from cited
    group by year, characteristic, harm_type

)

select
    _y.year as year,
    _e.enum_value as characteristic,
    _h.enum_value as harm_type,
    _e.position as position,
    toUInt64(coalesce(_c.notifications, 0)) as notifications
from {{ ref('int_report_years') }} as _y
cross join {{ enum_values('case_characteristic') }} as _e
cross join {{ enum_values('harm_type') }} as _h
left join counts as _c
    on _c.year = _y.year and _c.characteristic = _e.enum_value and _c.harm_type = _h.enum_value
order by year, position, harm_type
