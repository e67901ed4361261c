-- Grain: one row per arrival day (UTC date of ingested_at): accepted events, late ones (recorded
-- more than a day before they arrived) and out-of-order ones (arrived after an event of the same
-- case with a later time, so the stream had to place them back in time order).
with events as (

    select subject, case_seq, event_time, ingested_at from {{ ref('stg_events') }}

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
