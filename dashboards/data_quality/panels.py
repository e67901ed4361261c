"""Data quality: what was rejected and why, how fresh the marts are, events that arrived late
or out of order, and whether the stream's live counts agree with dbt's."""

from __future__ import annotations

from dashboards.marts import ARRIVALS, DEAD_LETTERS, FRESHNESS, RECONCILIATION
from dashboards.panel import Panel, panel


@panel
def dead_letters_by_reason_barchart() -> Panel:
    return Panel(
        title="Dead letters by reason",
        kind="barchart",
        x="reason",
        series=("dead_letters",),
        description="Messages rejected in the range, by the contract reason (invalid JSON, schema, "
        "case_exists, unknown_case, source_not_authorised, case_rule_violation).",
        sql=f"""
SELECT reason, sum(dead_letters) AS dead_letters
FROM ${{database}}.{DEAD_LETTERS}
WHERE day BETWEEN toDate($__fromTime) AND toDate($__toTime)
GROUP BY reason
ORDER BY dead_letters DESC, reason
""",
    )


@panel
def freshness_stat() -> Panel:
    return Panel(
        title="Minutes since the latest event reached the warehouse",
        kind="stat",
        series=("minutes_since_latest_event",),
        unit="m",
        width=6,
        description="How fresh the data is: minutes since the latest accepted event was written to "
        "the warehouse, and since the marts were last built from it.",
        sql=f"""
SELECT dateDiff('minute', latest_ingested_at, now64(6, 'UTC')) AS minutes_since_latest_event,
       dateDiff('minute', built_at, now64(6, 'UTC')) AS minutes_since_marts_built,
       latest_event_time, events
FROM ${{database}}.{FRESHNESS}
""",
    )


@panel
def late_and_out_of_order_timeseries() -> Panel:
    return Panel(
        title="Late and out-of-order events",
        kind="timeseries",
        x="time",
        series=("events", "late", "out_of_order"),
        width=18,
        description="Per day of arrival: accepted events, those recorded more than a day before "
        "they arrived (late), and those that arrived after a later-timed event of the same case "
        "(out of order).",
        sql=f"""
SELECT toDateTime(day, 'UTC') AS time, events, late, out_of_order
FROM ${{database}}.{ARRIVALS}
WHERE day BETWEEN toDate($__fromTime) AND toDate($__toTime)
ORDER BY time
""",
    )


@panel
def stream_reconciliation_table() -> Panel:
    return Panel(
        title="Stream against dbt",
        kind="table",
        x="figure",
        series=("dimensions", "agreeing", "differing", "not_compared"),
        width=24,
        description="The stream's live figures (its latest snapshot before the marts were built) "
        "against the same figures built by dbt from the raw event store, figure by figure: how many "
        "of each figure's rows agree. Figures with a difference come first. 'not compared': the "
        "snapshot had not seen the events the marts were built from (a build during a burst), or a "
        "figure counted to the report date (reviews not received, overdue) when the snapshot and the "
        "marts are of different dates. The values themselves (exact counts per local authority) are "
        "for analysts, in rpt_stream_reconciliation.",
        sql=f"""
SELECT figure, year, dimensions, agreeing, differing, not_compared, stream_as_of, dbt_as_of, taken_at
FROM ${{database}}.{RECONCILIATION}
ORDER BY differing = 0, figure, year
""",
    )
