-- Grain: one row per report year x harm_type (death, serious_harm, other, and 'total').
-- A notification in Y: notified_date (as corrected at T) in Y, not withdrawn by T.
with cases as (

    select toUInt16(toYear(notified_date)) as year, harm_type
    from {{ ref('int_cases_folded_as_at') }}

),

counts as (

    select year, harm_type, count() as notifications from cases group by year, harm_type
    union all
    select year, 'total' as harm_type, count() as notifications from cases group by year

),

grid as (

    select _y.year as year, _h.enum_value as harm_type, _h.position as position
    from {{ ref('int_report_years') }} as _y
    cross join {{ enum_values('harm_type') }} as _h
    union all
    select year, 'total', 0 from {{ ref('int_report_years') }}

)

select
    _g.year as year,
    _g.harm_type as harm_type,
    _g.position as position,
    toUInt64(coalesce(_c.notifications, 0)) as notifications
from grid as _g
left join counts as _c on _c.year = _g.year and _c.harm_type = _g.harm_type
order by year, position
