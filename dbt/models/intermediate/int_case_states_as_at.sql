-- One row per case known at T (its incident.notified has time <= T) and not withdrawn by T,
-- in its state as at T: the notification with every correction known at T applied in time order
-- (equal times by case_seq), the latest value of each field winning; plus the rapid-review and
-- LCSPR facts the marts need, each "first"/"latest" by (time, case_seq).
{% set t_end = as_of_end() %}
with notified as (

    -- one accepted notification per case; min case_seq guards against a repeated one anyway
    select *
    from {{ effective_as_at('stg_incident_notified') }}
    order by subject, case_seq
    limit 1 by subject

),

withdrawn as (

    -- the first withdrawal only: a later one arrived for a withdrawn case and changes nothing
    select subject
    from {{ ref('int_case_withdrawals') }}
    where withdrawal_time <= {{ t_end }}

),

corrections as (

    select *
    from {{ effective_as_at('stg_incident_corrected') }}

),

-- latest value per field; values wrapped in tuple() because aggregate functions skip NULLs and
-- a correction may set a nullable field (subcategory, imd_quintile) to null on purpose
latest_corrections as (

    select
        subject,
        {%- for f in ['incident_date', 'notified_date', 'harm_type', 'category', 'subcategory',
                      'children_json', 'imd_quintile', 'case_characteristics', 'covid_factor'] %}
        {%- set has = 'has_' ~ ('children' if f == 'children_json' else f) %}
        max({{ has }}) as corrected_{{ f }},
        argMaxIf(tuple({{ f }}), (event_time, case_seq), {{ has }}).1 as latest_{{ f }},
        {%- endfor %}
        max(has_service_involvement) as corrected_service_involvement,
        argMaxIf(tuple(known_to_csc, court_order, living_situation), (event_time, case_seq),
                 has_service_involvement) as latest_service_involvement
    from corrections
    group by subject

),

folded as (

    select
        ---------- ids
        n.subject as subject,
        n.local_authority as local_authority,
        n.event_time as notification_time,
        {%- for f in ['incident_date', 'notified_date', 'harm_type', 'category', 'subcategory',
                      'children_json', 'imd_quintile', 'case_characteristics', 'covid_factor'] %}
        {%- set has = 'has_' ~ ('children' if f == 'children_json' else f) %}
        {%- if f in ('incident_date', 'notified_date') %}
        if(c.corrected_{{ f }} = 1, assumeNotNull(c.latest_{{ f }}), n.{{ f }}) as {{ f }},
        {%- else %}
        if(c.corrected_{{ f }} = 1, c.latest_{{ f }}, n.{{ f }}) as {{ f }},
        {%- endif %}
        {%- endfor %}
        if(c.corrected_service_involvement = 1, c.latest_service_involvement.1, n.known_to_csc) as known_to_csc,
        if(c.corrected_service_involvement = 1, c.latest_service_involvement.2, n.court_order) as court_order,
        if(c.corrected_service_involvement = 1, c.latest_service_involvement.3, n.living_situation) as living_situation
    from notified as n
    left join latest_corrections as c on c.subject = n.subject
    where n.subject not in (select subject from withdrawn)

),

submissions as (

    select
        subject,
        argMin(received_date, (event_time, case_seq)) as first_received_date,
        1 as has_submission
    from {{ effective_as_at('stg_rapid_review_submitted') }}
    group by subject

),

decisions as (

    -- a later submission or a decision_made replaces the decision
    select subject, argMax(decision, (event_time, case_seq)) as decision, 1 as has_decision
    from (
        select subject, event_time, case_seq, decision from {{ effective_as_at('stg_rapid_review_submitted') }}
        union all
        select subject, event_time, case_seq, decision from {{ effective_as_at('stg_rapid_review_decision_made') }}
    )
    group by subject

),

feedback as (

    select subject, argMax(agrees_with_decision, (event_time, case_seq)) as agrees_with_decision,
        1 as has_feedback
    from {{ effective_as_at('stg_panel_feedback_issued') }}
    group by subject

),

initiations as (

    select subject, argMax(initiated_date, (event_time, case_seq)) as initiated_date,
        1 as has_initiation
    from {{ effective_as_at('stg_lcspr_initiated') }}
    group by subject

),

calendar as (

    select calendar_date, working_day_index from {{ ref('int_calendar_working_days') }}

),

with_reviews as (

    select
        subject,
        f.* except (subject),
        ---------- rapid review
        s.has_submission = 1 as rapid_review_received,
        if(s.has_submission = 1, s.first_received_date, NULL) as first_received_date,
        if(d.has_decision = 1, d.decision, 'undecided') as lcspr_decision,
        if(fb.has_feedback = 1, fb.agrees_with_decision, NULL) as panel_agrees,
        ---------- LCSPR
        if(i.has_initiation = 1, i.initiated_date, NULL) as lcspr_initiated_date
    from folded as f
    left join submissions as s using (subject)
    left join decisions as d using (subject)
    left join feedback as fb using (subject)
    left join initiations as i using (subject)

),

dated as (

    select
        r.subject as subject,
        r.* except (subject),
        la.region_code as region_code,
        la.region_name as region_name,
        cn.working_day_index as notified_index,
        cn.working_day_index + 15 as due_index,
        ci.working_day_index as incident_index,
        if(r.rapid_review_received, cr.working_day_index, ct.working_day_index) as review_end_index
    from with_reviews as r
    left join {{ ref('local_authorities') }} as la on la.code = r.local_authority
    left join calendar as cn on cn.calendar_date = r.notified_date
    left join calendar as ci on ci.calendar_date = r.incident_date
    left join calendar as cr on cr.calendar_date = r.first_received_date
    cross join (select working_day_index from calendar where calendar_date = {{ as_of_date() }}) as ct

),

working_days as (

    select calendar_date, working_day_index from {{ ref('int_calendar_working_days') }}
    where is_working_day

)

select
    d.subject as subject,
    d.* except (subject, notified_index, due_index, incident_index, review_end_index),
    ---------- working days (working_days(a, b) = index(b) - index(a))
    toInt32(d.notified_index) - toInt32(d.incident_index) as incident_to_notification_working_days,
    -- the 15th working day after the notification date
    due.calendar_date as requested_completion_date,
    arrayExists(
        w -> due.calendar_date between w.1 and w.2,
        (select groupArray((window_start, window_end)) from {{ ref('relaxation_windows') }})
    ) as in_relaxation,
    -- to the first submission's received_date, or to T for a review not received
    toInt32(d.review_end_index) - toInt32(d.notified_index) as rapid_review_working_days
from dated as d
left join working_days as due on due.working_day_index = d.due_index
