-- Grain: one row per report year x period (outside_relaxation, relaxation): the smallest and
-- largest working days elapsed (notification to T) among the rapid reviews due in Y and not
-- received at T; null when there are none.
with waiting as (

    select
        toUInt16(toYear(requested_completion_date)) as year,
        if(in_relaxation, 'relaxation', 'outside_relaxation') as period,
        rapid_review_working_days
    from {{ ref('int_cases_folded_as_at') }}
    where not rapid_review_received

),

ranges as (

    select year, period, min(rapid_review_working_days) as min_wd, max(rapid_review_working_days) as max_wd,
           1 as has_any
    from waiting group by year, period

)

select
    _y.year as year,
    _p.enum_value as period,
    if(_r.has_any = 1, toNullable(toInt32(_r.min_wd)), NULL) as min_working_days,
    if(_r.has_any = 1, toNullable(toInt32(_r.max_wd)), NULL) as max_working_days
from {{ ref('int_report_years') }} as _y
cross join (select enum_value from {{ enum_values('timeliness_period') }} where enum_value != 'all') as _p
left join ranges as _r on _r.year = _y.year and _r.period = _p.enum_value
order by year, period
