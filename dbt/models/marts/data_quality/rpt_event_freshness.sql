-- Grain: one row: the latest event time and arrival in the raw event store, the number of
-- accepted events, and when these marts were built (now, at build time).
{% set event_models = ['stg_incident_notified', 'stg_incident_corrected', 'stg_incident_withdrawn',
                       'stg_rapid_review_submitted', 'stg_rapid_review_decision_made',
                       'stg_panel_feedback_issued', 'stg_lcspr_initiated', 'stg_lcspr_publication_notified',
                       'stg_lcspr_report_received', 'stg_lcspr_published'] %}
with events as (

    {%- for m in event_models %}
    select event_time, ingested_at from {{ ref(m) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

)

select
    if(count() = 0, NULL, max(event_time)) as latest_event_time,
    if(count() = 0, NULL, max(ingested_at)) as latest_ingested_at,
    toUInt64(count()) as events,
    now64(6, 'UTC') as built_at
from events
