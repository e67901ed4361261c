-- Grain: one row per report year x decision (lcspr, no_lcspr, undecided): notifications in Y by
-- the decision known at T (the latest rapid_review.submitted or decision_made; undecided if none).
with counts as (

    select toUInt16(toYear(notified_date)) as year, lcspr_decision as decision, count() as notifications
    from {{ ref('int_cases_folded_as_at') }}
    group by year, decision

)

select
    _y.year as year,
    _e.enum_value as decision,
    _e.position as position,
    toUInt64(coalesce(_c.notifications, 0)) as notifications
from {{ ref('int_report_years') }} as _y
cross join {{ enum_values('decision') }} as _e
left join counts as _c on _c.year = _y.year and _c.decision = _e.enum_value
order by year, position
