-- Grain: one row per report year x period (outside_relaxation, relaxation, all) x timeliness
-- bucket: rapid reviews whose requested completion date (15th working day after notified_date)
-- falls in Y, received (first submission known at T, bucketed by working days from notification
-- to its received_date) or not received (bucketed by working days from notification to T).
with reviews as (

    select
        toUInt16(toYear(requested_completion_date)) as year,
        if(in_relaxation, 'relaxation', 'outside_relaxation') as period,
        rapid_review_received,
        multiIf(rapid_review_working_days <= 15, '1-15', rapid_review_working_days <= 25, '16-25',
                rapid_review_working_days <= 59, '26-59', '60+') as bucket
    from {{ ref('int_cases_folded_as_at') }}

),

counts as (

    select year, period, bucket,
           countIf(rapid_review_received) as received, countIf(not rapid_review_received) as not_received
    from reviews group by year, period, bucket
    union all
    select year, 'all', bucket,
           countIf(rapid_review_received), countIf(not rapid_review_received)
    from reviews group by year, bucket

)

select
    _y.year as year,
    _p.enum_value as period,
    _b.enum_value as bucket,
    _b.position as position,
    toUInt64(coalesce(_c.received, 0)) as received,
    toUInt64(coalesce(_c.not_received, 0)) as not_received,
    received + not_received as reviews_due
from {{ ref('int_report_years') }} as _y
cross join {{ enum_values('timeliness_period') }} as _p
cross join {{ enum_values('timeliness_bucket') }} as _b
left join counts as _c on _c.year = _y.year and _c.period = _p.enum_value and _c.bucket = _b.enum_value
order by year, period, position
