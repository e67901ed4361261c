-- Grain: one row per arrival day (UTC date of ingested_at): accepted events, late ones (recorded
-- more than a day before they arrived) and out-of-order ones (arrived after an event of the same
-- case with a later time, so the stream had to place them back in time order).
{% set event_models = ['stg_incident_notified', 'stg_incident_corrected', 'stg_incident_withdrawn',
                       'stg_rapid_review_submitted', 'stg_rapid_review_decision_made',
                       'stg_panel_feedback_issued', 'stg_lcspr_initiated', 'stg_lcspr_publication_notified',
                       'stg_lcspr_report_received', 'stg_lcspr_published'] %}
with events as (

    {%- for m in event_models %}
    select subject, case_seq, event_time, ingested_at from {{ ref(m) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

ordered as (

    -- the latest time among the case's events that arrived before this one (case_seq order);
    -- an empty frame gives the type's default (1970), which is never later than a real time
    select
        *,
        max(event_time) over (
            partition by subject order by case_seq rows between unbounded preceding and 1 preceding
        ) as latest_time_before
    from events

)

select
    toDate(ingested_at) as day,
    toUInt64(count()) as events,
    toUInt64(countIf(dateDiff('second', event_time, ingested_at) > 86400)) as late,
    toUInt64(countIf(latest_time_before > event_time)) as out_of_order
from ordered
group by day
order by day
