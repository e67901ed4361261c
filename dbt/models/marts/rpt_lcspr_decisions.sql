-- Grain: one row per report year x decision (lcspr, no_lcspr, undecided): notifications in Y by
-- the decision known at T (the latest rapid_review.submitted or decision_made; undecided if none).
with counts as (

    select toUInt16(toYear(notified_date)) as year, lcspr_decision as decision, count() as notifications
    from {{ ref('int_cases_folded_as_at') }}
    group by year, decision

)

select
    y.year as year,
    e.enum_value as decision,
    e.position as position,
    toUInt64(coalesce(c.notifications, 0)) as notifications
from {{ ref('int_report_years') }} as y
cross join {{ enum_values('decision') }} as e
left join counts as c on c.year = y.year and c.decision = e.enum_value
order by year, position
