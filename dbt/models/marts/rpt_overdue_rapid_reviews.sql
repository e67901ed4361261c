-- Grain: one row per case known at T and not withdrawn by T whose rapid review has not been
-- received by T although more than 15 working days have passed since the notification: the
-- overdue list. Identified by the Panel's case reference only; no child-level field.
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
where not rapid_review_received and rapid_review_working_days > 15
order by working_days_overdue desc, subject
