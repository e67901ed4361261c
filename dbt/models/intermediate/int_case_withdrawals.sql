-- One row per withdrawn case (any time): its first withdrawal in arrival order. Events accepted
-- after it (case_seq greater) "change nothing" (contract: events for a withdrawn case are
-- accepted but change nothing), whatever T is; the case leaves every figure from the
-- withdrawal's `time` on.
select
    subject,
    min(case_seq) as withdrawal_seq,
    argMin(event_time, case_seq) as withdrawal_time
from {{ ref('stg_incident_withdrawn') }}
group by subject
