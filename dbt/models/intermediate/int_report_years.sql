-- One row per year a report can be asked for: 2018 (the contract's earliest date) to the year
-- after T (a rapid review notified late in T's year is due in the next one). Marts cross-join it
-- so a year or a category with no events still shows its zeros.
select toUInt16(2018 + number) as year
from numbers(toUInt64(toYear({{ as_of_date() }}) + 2 - 2018))
