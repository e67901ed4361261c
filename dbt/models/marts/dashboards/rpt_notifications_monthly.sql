-- Grain: one row per calendar month of the report years x harm_type (death, serious_harm,
-- other): notifications with notified_date (as corrected at T) in the month, not withdrawn by T.
-- Months with none show 0, so a rolling twelve-month sum over the rows is a sum over months.
with cases as (

    select toStartOfMonth(notified_date) as month, harm_type
    from {{ ref('int_cases_folded_as_at') }}

),

counts as (

    select month, harm_type, count() as notifications from cases group by month, harm_type

),

months as (

    select makeDate(_y.year, _m.number + 1, 1) as month
    from {{ ref('int_report_years') }} as _y
    cross join numbers(12) as _m

)

select
    _mo.month as month,
    toUInt16(toYear(_mo.month)) as year,
    _h.enum_value as harm_type,
    _h.position as position,
    toUInt64(coalesce(_c.notifications, 0)) as notifications
from months as _mo
cross join {{ enum_values('harm_type') }} as _h
left join counts as _c on _c.month = _mo.month and _c.harm_type = _h.enum_value
order by month, position
