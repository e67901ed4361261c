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

    select makeDate(y.year, m.number + 1, 1) as month
    from {{ ref('int_report_years') }} as y
    cross join numbers(12) as m

)

select
    mo.month as month,
    toUInt16(toYear(mo.month)) as year,
    h.enum_value as harm_type,
    h.position as position,
    toUInt64(coalesce(c.notifications, 0)) as notifications
from months as mo
cross join {{ enum_values('harm_type') }} as h
left join counts as c on c.month = mo.month and c.harm_type = h.enum_value
order by month, position
