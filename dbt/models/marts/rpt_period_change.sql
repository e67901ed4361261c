-- Grain: one row per report year: notifications with notified_date from Y-period_from to
-- Y-period_to (current) against the same dates of Y-1 (previous), and the change in per cent
-- (one decimal, halves away from zero; null when previous is 0).
{% set p_from = var('period_from') %}
{% set p_to = var('period_to') %}
with in_period as (

    -- 'MM-DD' strings compare in calendar order, so one pass counts every year's period
    select toUInt16(toYear(notified_date)) as year, count() as notifications
    from {{ ref('int_cases_folded_as_at') }}
    where formatDateTime(notified_date, '%m-%d') between '{{ p_from }}' and '{{ p_to }}'
    group by year

),

compared as (

    select
        _y.year as year,
        toUInt64(coalesce(_cur.notifications, 0)) as current,
        toUInt64(coalesce(_prev.notifications, 0)) as previous
    from {{ ref('int_report_years') }} as _y
    left join in_period as _cur on _cur.year = _y.year
    left join in_period as _prev on _prev.year = _y.year - 1

)

select
    year,
    '{{ p_from }}' as period_from,
    '{{ p_to }}' as period_to,
    current,
    previous,
    {{ pct_one_decimal('toInt64(current) - toInt64(previous)', 'previous') }} as pct_change
from compared
order by year
