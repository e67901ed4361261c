-- Grain: one row per case known at T and not withdrawn by T whose rapid review has not been
-- received by T and whose requested completion date (the 15th working day after notification)
-- is before T: the overdue list, as the stream keeps it live (streams/figures/book.py). On a
-- weekend just after the due date a review is overdue by 0 working days. Identified by the
-- Panel's case reference only; no child-level field.
select
    subject,
    local_authority,
    region_name,
    harm_type,
    notified_date,
    requested_completion_date,
    rapid_review_working_days as working_days_since_notification,
    rapid_review_working_days - 15 as working_days_overdue,
    {{ as_of_date() }} as as_of
from {{ ref('int_cases_folded_as_at') }}
where not rapid_review_received and requested_completion_date < {{ as_of_date() }}
order by working_days_overdue desc, subject
