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
    y.year as year,
    e.enum_value as characteristic,
    h.enum_value as harm_type,
    e.position as position,
    toUInt64(coalesce(c.notifications, 0)) as notifications
from {{ ref('int_report_years') }} as y
cross join {{ enum_values('case_characteristic') }} as e
cross join {{ enum_values('harm_type') }} as h
left join counts as c
    on c.year = y.year and c.characteristic = e.enum_value and c.harm_type = h.enum_value
order by year, position, harm_type
