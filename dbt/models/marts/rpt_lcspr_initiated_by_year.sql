-- Grain: one row per year that has any LCSPR initiated: cases counted once each by the year of
-- their latest lcspr.initiated (by time) known at T. A report for Y lists the years up to Y.
select
    toUInt16(toYear(assumeNotNull(lcspr_initiated_date))) as initiated_year,
    toUInt64(count()) as lcspr_initiated
from {{ ref('int_cases_folded_as_at') }}
where lcspr_initiated_date is not null
group by initiated_year
order by initiated_year
