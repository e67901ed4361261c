-- Grain: one row per report year: cases with an lcspr.report_received (known at T) whose
-- received_date is on or before 31 December Y, by status at the end of Y: published (an
-- lcspr.published with published_date on or before 31 December Y), else the latest report's
-- publication_intent; and the published ones more than 200 working days from the latest
-- initiated_date to the first such publication.
with per_year as (

    select
        _y.year as year,
        _m.subject as subject,
        _m.lcspr_initiated_date as lcspr_initiated_date,
        arrayFilter(r -> r.3 <= makeDate(_y.year, 12, 31), _m.reports) as reports_by_end,
        arrayFilter(p -> p.3 <= makeDate(_y.year, 12, 31), _m.publications) as published_by_end
    from {{ ref('int_report_years') }} as _y
    cross join {{ ref('int_lcspr_milestones_as_at') }} as _m

),

statuses as (

    select
        year,
        subject,
        lcspr_initiated_date,
        if(notEmpty(published_by_end), 'published', reports_by_end[-1].4) as status,
        if(notEmpty(published_by_end), published_by_end[1].3, NULL) as first_published_date
    from per_year
    where notEmpty(reports_by_end)

),

calendar as (

    select calendar_date, working_day_index from {{ ref('int_calendar_working_days') }}

),

timed as (

    select
        _s.year as year,
        _s.status as status,
        _s.first_published_date is not null and _s.lcspr_initiated_date is not null
            and toInt32(_cp.working_day_index) - toInt32(_ci.working_day_index) > 200 as over_200
    from statuses as _s
    left join calendar as _cp on _cp.calendar_date = _s.first_published_date
    left join calendar as _ci on _ci.calendar_date = _s.lcspr_initiated_date

),

counts as (

    select
        year,
        count() as received,
        countIf(status = 'published') as published,
        countIf(status = 'intend_to_publish') as intend_to_publish,
        countIf(status = 'not_publishing') as not_publishing,
        countIf(over_200) as published_over_200_working_days
    from timed group by year

)

select
    _y.year as year,
    toUInt64(coalesce(_c.received, 0)) as received,
    toUInt64(coalesce(_c.published, 0)) as published,
    toUInt64(coalesce(_c.intend_to_publish, 0)) as intend_to_publish,
    toUInt64(coalesce(_c.not_publishing, 0)) as not_publishing,
    toUInt64(coalesce(_c.published_over_200_working_days, 0)) as published_over_200_working_days
from {{ ref('int_report_years') }} as _y
left join counts as _c on _c.year = _y.year
order by year
