-- One row per case of int_cases_folded_as_at (known at T, not withdrawn by T): what its latest
-- rapid review, latest decision and latest Panel feedback known at T say of the learning
-- (contract v2; producers/reference/LEARNING.md). "Latest" is by (time, case_seq) over both
-- versions of a type; a v1 event is read upcast: its learning is "not recorded" (null, or
-- `<list>_recorded` false), never an error. Events accepted after the case's first withdrawal
-- (arrival order) change nothing, as in int_case_states_as_at.
--
-- Joined on (subject, case_seq) to the v2 staging models because each version has its own
-- staging model (the v1 figures read both versions through the v1 ones): a latest event with no
-- v2 row is a v1 event. A table, rebuilt in full: the fold the marts read once.
with withdrawals as (

    select subject, min(case_seq) as withdrawal_seq
    from {{ ref('stg_incident_withdrawn') }}
    group by subject

),

latest_submission as (

    select subject, max((event_time, case_seq)).2 as case_seq
    from {{ effective_as_at('stg_rapid_review_submitted') }}
    group by subject

),

latest_decision as (

    -- a later submission or a decision_made replaces the decision (as lcspr_decision)
    select subject, max((event_time, case_seq)).2 as case_seq
    from (
        select subject, event_time, case_seq from {{ effective_as_at('stg_rapid_review_submitted') }}
        union all
        select subject, event_time, case_seq from {{ effective_as_at('stg_rapid_review_decision_made') }}
    )
    group by subject

),

decision_v2 as (

    select subject, case_seq, no_lcspr_reason, alternative_review_proposed from {{ ref('stg_rapid_review_submitted_v2') }}
    union all
    select subject, case_seq, no_lcspr_reason, alternative_review_proposed from {{ ref('stg_rapid_review_decision_made_v2') }}

),

latest_feedback as (

    select subject, max((event_time, case_seq)).2 as case_seq
    from {{ effective_as_at('stg_panel_feedback_issued') }}
    group by subject

)

select
    ---------- ids
    c.subject as subject,
    ---------- the case as at T
    c.notified_date as notified_date,
    c.harm_type as harm_type,
    c.category as category,
    c.rapid_review_received as rapid_review_received,
    c.first_received_date as first_received_date,
    c.lcspr_decision as lcspr_decision,
    c.panel_agrees as panel_agrees,
    -- the youngest child stands for the case (LEARNING.md, reading 6)
    arrayMin(arrayMap(x -> x.2, c.children)) as youngest_age,
    ---------- the latest review's learning
    coalesce(s.practice_themes_recorded, false) as practice_themes_recorded,
    arrayDistinct(coalesce(s.practice_themes, [])) as practice_themes,
    coalesce(s.covid_factors_recorded, false) as covid_factors_recorded,
    arrayDistinct(coalesce(s.covid_factors, [])) as covid_factors,
    s.ethnicity_recorded as ethnicity_recorded,
    s.family_detail_recorded as family_detail_recorded,
    ---------- the latest decision's reason
    d.no_lcspr_reason as no_lcspr_reason,
    d.alternative_review_proposed as alternative_review_proposed,
    ---------- the latest feedback's challenge and quality
    f.disagreement as disagreement,
    coalesce(f.quality_assessed, false) as quality_assessed,
    f.quality_analysis_and_reflection as quality_analysis_and_reflection,
    f.quality_senior_leadership_input as quality_senior_leadership_input,
    f.quality_decision_rationale as quality_decision_rationale,
    f.quality_family_detail as quality_family_detail
from {{ ref('int_cases_folded_as_at') }} as c
left join latest_submission as ls on ls.subject = c.subject
left join {{ ref('stg_rapid_review_submitted_v2') }} as s on s.subject = ls.subject and s.case_seq = ls.case_seq
left join latest_decision as ld on ld.subject = c.subject
left join decision_v2 as d on d.subject = ld.subject and d.case_seq = ld.case_seq
left join latest_feedback as lf on lf.subject = c.subject
left join {{ ref('stg_panel_feedback_issued_v2') }} as f on f.subject = lf.subject and f.case_seq = lf.case_seq
