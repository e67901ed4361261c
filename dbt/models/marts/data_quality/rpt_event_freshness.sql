-- Grain: one row: the latest event time and arrival in the raw event store, the number of
-- accepted events, how many of them these marts know (time <= the end of T: all of them for a
-- vintage as known now, fewer for a past date), and when these marts were built (now).
with events as (

    select event_time, ingested_at from {{ ref('stg_events') }}

)

select
    if(count() = 0, NULL, max(event_time)) as latest_event_time,
    if(count() = 0, NULL, max(ingested_at)) as latest_ingested_at,
    toUInt64(count()) as events,
    toUInt64(countIf(event_time <= {{ as_of_end() }})) as events_known,
    now64(6, 'UTC') as built_at
from events
