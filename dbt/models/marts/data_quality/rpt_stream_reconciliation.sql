-- Grain: one row per figure x year x dimension of the stream's snapshot (stg_stream_figures)
-- that these marts were built against: the stream's count beside the same figure laid out from
-- the marts (the marts stay the only SQL that computes a figure; this model only re-shapes
-- them), the difference, and whether the pair is comparable.
--
-- The snapshot: the worker writes one per inbound partition (its cases' figures; with two
-- workers each writes only the partitions it holds). Per partition, the latest taken at or
-- before these marts were built (rpt_build_info's built_at), which saw no more events than the
-- raw store they were built from, or the latest of that partition's when every one is newer;
-- the stream's figure is their sum (every figure compared is a sum over cases, and a case is
-- in one partition; the authority bands are not, and are not compared: see
-- streams/figures/reconciliation.py). No snapshot: no rows.
-- A figure the marts have (non-zero) and the snapshot lacks is a row too, with stream_value 0.
-- comparable: the snapshot saw the events the marts were built from (its accepted_events equals
-- the raw store's count, rpt_event_freshness.events: otherwise the two are only out of step, e.g.
-- a build in the middle of a burst), and these marts know every one of those events (the
-- stream counts everything it has seen, i.e. as known now: a vintage as at a past date that
-- leaves out later events is a different question, never a disagreement), and the figure does
-- not depend on the report date or the snapshot was read at the date the marts were built for
-- (timeliness_not_received and overdue count working days to it), and the year is one the
-- marts lay out (int_report_years).
with build as (

    select as_of as dbt_as_of, built_at from {{ ref('rpt_build_info') }}

),

snapshots as (

    select
        _s.partition as partition,
        if(countIf(_s.taken_at <= _b.built_at) > 0, maxIf(_s.taken_at, _s.taken_at <= _b.built_at),
           max(_s.taken_at)) as taken_at
    from {{ ref('stg_stream_figures') }} as _s
    cross join build as _b
    group by _s.partition

),

partition_rows as (

    select _s.figure as figure, _s.year as year, _s.dimension as dimension, _s.value as value,
           _s.as_of as read_as_of, _s.taken_at as snapshot_at
    from {{ ref('stg_stream_figures') }} as _s
    inner join snapshots as _c on _c.partition = _s.partition and _c.taken_at = _s.taken_at

),

stream as (

    select figure, year, dimension, sum(value) as value
    from partition_rows
    group by figure, year, dimension

),

-- the snapshots' dates: the earliest and latest (they differ only across a midnight), and the
-- newest snapshot's time
snapshot as (

    select min(read_as_of) as as_of, max(read_as_of) as as_of_last, max(snapshot_at) as taken_at
    from partition_rows
    having count() > 0

),

marts as (

    select 'notifications' as figure, year, harm_type as dimension, toInt64(notifications) as value
    from {{ ref('rpt_notifications') }}
    union all
    select 'notifications_by_la', year, local_authority, toInt64(notifications)
    from {{ ref('fct_local_authority_notifications') }}
    union all
    select 'period_change', year, concat(period_from, '..', period_to, '|current'), toInt64(current)
    from {{ ref('rpt_period_change') }}
    union all
    select 'period_change', year, concat(period_from, '..', period_to, '|previous'), toInt64(previous)
    from {{ ref('rpt_period_change') }}
    union all
    select 'timeliness_received', year, concat(period, '|', bucket), toInt64(received)
    from {{ ref('rpt_rapid_review_timeliness') }}
    union all
    select 'timeliness_not_received', year, concat(period, '|', bucket), toInt64(not_received)
    from {{ ref('rpt_rapid_review_timeliness') }}
    union all
    select 'overdue', toUInt16(0), 'reviews', toInt64(count())
    from {{ ref('rpt_overdue_rapid_reviews') }}
    union all
    select 'accepted_events', toUInt16(0), 'events', toInt64(events)
    from {{ ref('rpt_event_freshness') }}

),

both_sides as (

    select figure, toUInt16(year) as year, dimension, value, 1 as from_stream from stream
    union all
    select figure, toUInt16(year) as year, dimension, value, 0 as from_stream from marts

),

compared as (

    select
        figure,
        year,
        dimension,
        sumIf(value, from_stream = 1) as stream_value,
        sumIf(value, from_stream = 0) as dbt_value,
        max(from_stream) as in_snapshot
    from both_sides
    group by figure, year, dimension

)

select
    _c.figure as figure,
    _c.year as year,
    _c.dimension as dimension,
    _c.stream_value as stream_value,
    _c.dbt_value as dbt_value,
    _c.stream_value - _c.dbt_value as difference,
    toUInt8(_c.stream_value = _c.dbt_value) as matches,
    toUInt8(_e.same_events and _k.knows_every_event
            and (_c.figure not in ('timeliness_not_received', 'overdue')
                 or (_s.as_of = _b.dbt_as_of and _s.as_of_last = _b.dbt_as_of))
            -- the marts lay figures out for 2018 .. the year after their T, the stream for 2018 ..
            -- the year after its own date: a year only one side has is not a disagreement
            and (_c.year = 0 or _c.year in (select year from {{ ref('int_report_years') }}))) as comparable,
    _s.as_of as stream_as_of,
    _s.taken_at as taken_at,
    _b.dbt_as_of as dbt_as_of,
    _b.built_at as dbt_built_at
from compared as _c
cross join snapshot as _s
cross join build as _b
cross join (
    select toUInt8(events_known = events) as knows_every_event from {{ ref('rpt_event_freshness') }}
) as _k
cross join (
    select toUInt8(countIf(figure = 'accepted_events' and in_snapshot = 1 and stream_value = dbt_value) = 1)
        as same_events
    from compared
) as _e
where _c.in_snapshot = 1 or _c.dbt_value != 0
order by matches, figure, year, dimension
