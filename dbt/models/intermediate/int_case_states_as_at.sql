-- One row per case known at T (its incident.notified has time <= T), withdrawn by T or not
-- (withdrawn_by_as_of), in its state as at T: the notification with every correction known at T
-- applied in time order (equal times by case_seq), the latest value of each field winning; plus
-- the rapid-review and LCSPR facts the marts need, each "first"/"latest" by (time, case_seq).
-- Events accepted after the case's first withdrawal (in arrival order) change nothing.
--
-- Incremental by case: a case's state depends only on its own events, so a run with the same T
-- recomputes only the cases with events that arrived since the last run (delete+insert by
-- subject; raw_events is ordered by subject, so reading one case's events is an index lookup,
-- FINAL included). A run with another T rebuilds every case (the table is emptied first).
-- Withdrawn cases stay as rows (flagged) so that delete+insert replaces them too;
-- int_cases_folded_as_at is the view without them.
{{ config(
    materialized='incremental',
    incremental_strategy='delete_insert',
    unique_key='subject',
    order_by='subject',
    engine='MergeTree()',
    pre_hook="{{ empty_if_as_of_changed() }}",
) }}
{% set t_end = as_of_end() %}
{% set only = changed_subjects_filter() %}
with withdrawals as (

    -- the first withdrawal in arrival order; a later one arrived for a withdrawn case
    select subject, min(case_seq) as withdrawal_seq, argMin(event_time, case_seq) as withdrawal_time
    from {{ ref('stg_incident_withdrawn') }}
    where 1 {{ only }}
    group by subject

),

notified as (

    -- one accepted notification per case; min case_seq guards against a repeated one anyway
    select *
    from {{ effective_as_at('stg_incident_notified', only) }}
    order by subject, case_seq
    limit 1 by subject

),

corrections as (

    select *
    from {{ effective_as_at('stg_incident_corrected', only) }}

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
        _n.subject as subject,
        _n.local_authority as local_authority,
        _n.event_time as notification_time,
        _n.subject in (select subject from withdrawals where withdrawal_time <= {{ t_end }}) as withdrawn_by_as_of,
        {%- for f in ['incident_date', 'notified_date', 'harm_type', 'category', 'subcategory',
                      'children_json', 'imd_quintile', 'case_characteristics', 'covid_factor'] %}
        {%- set has = 'has_' ~ ('children' if f == 'children_json' else f) %}
        {%- if f in ('incident_date', 'notified_date') %}
        if(_c.corrected_{{ f }} = 1, assumeNotNull(_c.latest_{{ f }}), _n.{{ f }}) as {{ f }},
        {%- else %}
        if(_c.corrected_{{ f }} = 1, _c.latest_{{ f }}, _n.{{ f }}) as {{ f }},
        {%- endif %}
        {%- endfor %}
        if(_c.corrected_service_involvement = 1, _c.latest_service_involvement.1, _n.known_to_csc) as known_to_csc,
        if(_c.corrected_service_involvement = 1, _c.latest_service_involvement.2, _n.court_order) as court_order,
        if(_c.corrected_service_involvement = 1, _c.latest_service_involvement.3, _n.living_situation) as living_situation
    from notified as _n
    left join latest_corrections as _c on _c.subject = _n.subject

),

submissions as (

    select
        subject,
        argMin(received_date, (event_time, case_seq)) as first_received_date,
        1 as has_submission
    from {{ effective_as_at('stg_rapid_review_submitted', only) }}
    group by subject

),

decisions as (

    -- a later submission or a decision_made replaces the decision
    select subject, argMax(decision, (event_time, case_seq)) as decision, 1 as has_decision
    from (
        select subject, event_time, case_seq, decision from {{ effective_as_at('stg_rapid_review_submitted', only) }}
        union all
        select subject, event_time, case_seq, decision from {{ effective_as_at('stg_rapid_review_decision_made', only) }}
    )
    group by subject

),

feedback as (

    select subject, argMax(agrees_with_decision, (event_time, case_seq)) as agrees_with_decision,
        1 as has_feedback
    from {{ effective_as_at('stg_panel_feedback_issued', only) }}
    group by subject

),

initiations as (

    select subject, argMax(initiated_date, (event_time, case_seq)) as initiated_date,
        1 as has_initiation
    from {{ effective_as_at('stg_lcspr_initiated', only) }}
    group by subject

),

reports as (

    -- (time, case_seq, received_date, publication_intent), sorted: the report year picks from them
    select subject, arraySort(groupArray((event_time, case_seq, received_date, publication_intent))) as reports
    from {{ effective_as_at('stg_lcspr_report_received', only) }}
    group by subject

),

publications as (

    select subject, arraySort(groupArray((event_time, case_seq, published_date))) as publications
    from {{ effective_as_at('stg_lcspr_published', only) }}
    group by subject

),

arrivals as (

    -- when the case's latest event reached the raw store (for data-quality views)
    select subject, max(ingested_at) as last_ingested_at
    from {{ ref('stg_raw_event_arrivals') }}
    where 1 {{ only }}
    group by subject

),

calendar as (

    select calendar_date, working_day_index from {{ ref('int_calendar_working_days') }}

),

with_reviews as (

    select
        subject,
        _f.* except (subject),
        ---------- rapid review
        _s.has_submission = 1 as rapid_review_received,
        if(_s.has_submission = 1, _s.first_received_date, NULL) as first_received_date,
        if(_d.has_decision = 1, _d.decision, 'undecided') as lcspr_decision,
        if(_fb.has_feedback = 1, _fb.agrees_with_decision, NULL) as panel_agrees,
        ---------- LCSPR
        if(_i.has_initiation = 1, _i.initiated_date, NULL) as lcspr_initiated_date,
        _rp.reports as lcspr_reports,
        _pb.publications as lcspr_publications,
        ---------- build
        {{ as_of_date() }} as as_of,
        _a.last_ingested_at as last_ingested_at,
        now64(6, 'UTC') as folded_at
    from folded as _f
    left join submissions as _s using (subject)
    left join decisions as _d using (subject)
    left join feedback as _fb using (subject)
    left join initiations as _i using (subject)
    left join reports as _rp using (subject)
    left join publications as _pb using (subject)
    left join arrivals as _a using (subject)

),

dated as (

    select
        _r.subject as subject,
        _r.* except (subject),
        _la.region_code as region_code,
        _la.region_name as region_name,
        _cn.working_day_index as notified_index,
        _cn.working_day_index + 15 as due_index,
        _ci.working_day_index as incident_index,
        if(_r.rapid_review_received, _cr.working_day_index, _ct.working_day_index) as review_end_index
    from with_reviews as _r
    left join {{ ref('local_authorities') }} as _la on _la.code = _r.local_authority
    left join calendar as _cn on _cn.calendar_date = _r.notified_date
    left join calendar as _ci on _ci.calendar_date = _r.incident_date
    left join calendar as _cr on _cr.calendar_date = _r.first_received_date
    cross join (select working_day_index from calendar where calendar_date = {{ as_of_date() }}) as _ct

),

working_days as (

    select calendar_date, working_day_index from {{ ref('int_calendar_working_days') }}
    where is_working_day

)

select
    _d.subject as subject,
    _d.* except (subject, notified_index, due_index, incident_index, review_end_index),
    ---------- working days (working_days(a, b) = index(b) - index(a))
    toInt32(_d.notified_index) - toInt32(_d.incident_index) as incident_to_notification_working_days,
    -- the 15th working day after the notification date
    _due.calendar_date as requested_completion_date,
    arrayExists(
        w -> _due.calendar_date between w.1 and w.2,
        (select groupArray((window_start, window_end)) from {{ ref('relaxation_windows') }})
    ) as in_relaxation,
    -- to the first submission's received_date, or to T for a review not received
    toInt32(_d.review_end_index) - toInt32(_d.notified_index) as rapid_review_working_days,
    ---------- children, typed once here (incrementally) rather than in every build of the marts
    arrayMap(
        c -> tuple(
            JSONExtractString(c, 'child_ref'), toUInt8(JSONExtractUInt(c, 'age_years')),
            JSONExtractString(c, 'gender'), JSONExtractString(c, 'ethnicity')
        ),
        JSONExtractArrayRaw(_d.children_json)
    ) as children
from dated as _d
left join working_days as _due on _due.working_day_index = _d.due_index
