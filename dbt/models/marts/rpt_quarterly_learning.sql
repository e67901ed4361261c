-- Grain: one row per calendar quarter (year x quarter 1-4) of the report years, as known at T:
--  notifications by harm type, late notifications (more than 5 working days from incident to
--  notification), rapid reviews due (requested completion date in the quarter), received (first
--  submission's received_date in the quarter), on time (due in the quarter and received within
--  15 working days), overdue (due in the quarter and received later, or not received and the
--  due date before T), LCSPR decisions (latest decision of the reviews received in the quarter),
--  initiations (latest initiated_date in the quarter), publications (first published_date in the
--  quarter); and the change in notifications and reviews due against the same quarter a year
--  earlier.
with cases as (

    select * from {{ ref('int_cases_folded_as_at') }}

),

quarters as (

    select _y.year as year, toUInt8(_q.number + 1) as quarter,
           makeDate(_y.year, _q.number * 3 + 1, 1) as quarter_start
    from {{ ref('int_report_years') }} as _y
    cross join numbers(4) as _q

),

notified as (

    select
        toStartOfQuarter(notified_date) as quarter_start,
        count() as notifications,
        countIf(harm_type = 'death') as notifications_death,
        countIf(harm_type = 'serious_harm') as notifications_serious_harm,
        countIf(harm_type = 'other') as notifications_other,
        countIf(incident_to_notification_working_days > 5) as late_notifications
    from cases group by quarter_start

),

due as (

    select
        toStartOfQuarter(requested_completion_date) as quarter_start,
        count() as rapid_reviews_due,
        countIf(rapid_review_received and rapid_review_working_days <= 15) as rapid_reviews_on_time,
        countIf((rapid_review_received and rapid_review_working_days > 15)
                or (not rapid_review_received and requested_completion_date < {{ as_of_date() }}))
            as rapid_reviews_overdue
    from cases group by quarter_start

),

received as (

    select
        toStartOfQuarter(assumeNotNull(first_received_date)) as quarter_start,
        count() as rapid_reviews_received,
        countIf(lcspr_decision = 'lcspr') as lcspr_decisions,
        countIf(lcspr_decision = 'no_lcspr') as no_lcspr_decisions
    from cases where rapid_review_received group by quarter_start

),

initiated as (

    select toStartOfQuarter(assumeNotNull(lcspr_initiated_date)) as quarter_start, count() as lcspr_initiations
    from cases where lcspr_initiated_date is not null group by quarter_start

),

published as (

    select toStartOfQuarter(publications[1].3) as quarter_start, count() as lcspr_publications
    from {{ ref('int_lcspr_milestones_as_at') }} where notEmpty(publications) group by quarter_start

),

joined as (

    select
        _q.year as year,
        _q.quarter as quarter,
        _q.quarter_start as quarter_start,
        toUInt64(coalesce(_n.notifications, 0)) as notifications,
        toUInt64(coalesce(_n.notifications_death, 0)) as notifications_death,
        toUInt64(coalesce(_n.notifications_serious_harm, 0)) as notifications_serious_harm,
        toUInt64(coalesce(_n.notifications_other, 0)) as notifications_other,
        toUInt64(coalesce(_n.late_notifications, 0)) as late_notifications,
        toUInt64(coalesce(_d.rapid_reviews_due, 0)) as rapid_reviews_due,
        toUInt64(coalesce(_r.rapid_reviews_received, 0)) as rapid_reviews_received,
        toUInt64(coalesce(_d.rapid_reviews_on_time, 0)) as rapid_reviews_on_time,
        toUInt64(coalesce(_d.rapid_reviews_overdue, 0)) as rapid_reviews_overdue,
        toUInt64(coalesce(_r.lcspr_decisions, 0)) as lcspr_decisions,
        toUInt64(coalesce(_r.no_lcspr_decisions, 0)) as no_lcspr_decisions,
        toUInt64(coalesce(_i.lcspr_initiations, 0)) as lcspr_initiations,
        toUInt64(coalesce(_p.lcspr_publications, 0)) as lcspr_publications
    from quarters as _q
    left join notified as _n on _n.quarter_start = _q.quarter_start
    left join due as _d on _d.quarter_start = _q.quarter_start
    left join received as _r on _r.quarter_start = _q.quarter_start
    left join initiated as _i on _i.quarter_start = _q.quarter_start
    left join published as _p on _p.quarter_start = _q.quarter_start

)

select
    _cur.*,
    _prev.notifications as notifications_a_year_earlier,
    {{ pct_one_decimal('toInt64(_cur.notifications) - toInt64(_prev.notifications)', '_prev.notifications') }}
        as notifications_change_pct,
    _prev.rapid_reviews_due as rapid_reviews_due_a_year_earlier,
    {{ pct_one_decimal('toInt64(_cur.rapid_reviews_due) - toInt64(_prev.rapid_reviews_due)', '_prev.rapid_reviews_due') }}
        as rapid_reviews_due_change_pct
from joined as _cur
left join joined as _prev on _prev.year = _cur.year - 1 and _prev.quarter = _cur.quarter
order by year, quarter
