-- One row per calendar date 2010-01-01..2060-12-31 (the span of the bank_holidays seed).
-- working_day_index counts the working days up to and including the date, so
-- working_days(a, b) (working days d with a < d <= b) = index(b) - index(a), a single join each.
with days as (

    select toDate('2010-01-01') + number as calendar_date
    from numbers(toUInt64(dateDiff('day', toDate('2010-01-01'), toDate('2060-12-31')) + 1))

),

holidays as (

    select holiday_date from {{ ref('bank_holidays') }}

),

flagged as (

    select
        calendar_date,
        toDayOfWeek(calendar_date) <= 5 and calendar_date not in (select holiday_date from holidays)
            as is_working_day
    from days

)

select
    calendar_date,
    is_working_day,
    toUInt32(sum(toUInt32(is_working_day)) over (
        order by calendar_date rows between unbounded preceding and current row
    )) as working_day_index
from flagged
