"""National overview: how many incidents are notified, of which harm, and how that is moving."""

from __future__ import annotations

from dashboards.marts import IN_YEARS, LIVE_FIGURES, MONTHLY, NOTIFICATIONS, PERIOD_CHANGE, QUARTERLY
from dashboards.panel import Panel, panel


@panel
def notifications_by_harm_type_barchart() -> Panel:
    return Panel(
        title="Notifications by harm type",
        kind="barchart",
        x="harm_type",
        series=("notifications",),
        figure="notifications",
        description="Serious incident notifications with a notified date in the years of the time "
        "range, by harm type, corrections applied, withdrawn cases left out.",
        sql=f"""
SELECT harm_type, sum(notifications) AS notifications
FROM ${{database}}.{NOTIFICATIONS}
WHERE {IN_YEARS} AND harm_type != 'total'
GROUP BY harm_type, position
ORDER BY position
""",
    )


@panel
def notifications_by_month_barchart() -> Panel:
    return Panel(
        title="Notifications by month and harm type",
        kind="barchart",
        x="month",
        series=("death", "serious_harm", "other"),
        stacked=True,
        width=24,
        description="Notifications per calendar month of the notified date, stacked by harm type.",
        sql=f"""
SELECT formatDateTime(_m.month, '%Y-%m') AS month,
       sumIf(notifications, harm_type = 'death') AS death,
       sumIf(notifications, harm_type = 'serious_harm') AS serious_harm,
       sumIf(notifications, harm_type = 'other') AS other
FROM ${{database}}.{MONTHLY} AS _m
WHERE _m.month BETWEEN toStartOfMonth(toDate($__fromTime)) AND toDate($__toTime)
GROUP BY _m.month
ORDER BY _m.month
""",
    )


@panel
def rolling_twelve_months_timeseries() -> Panel:
    return Panel(
        title="Notifications in the twelve months to each month",
        kind="timeseries",
        x="time",
        series=("rolling_twelve_months",),
        width=16,
        description="For each month, the notifications of that month and the eleven before it (a "
        "rolling year), so seasonal swings do not hide the trend.",
        sql=f"""
SELECT toDateTime(month, 'UTC') AS time, rolling_twelve_months
FROM (
    SELECT month,
           sum(n) OVER (ORDER BY month ROWS BETWEEN 11 PRECEDING AND CURRENT ROW) AS rolling_twelve_months
    FROM (
        SELECT month, sum(notifications) AS n
        FROM ${{database}}.{MONTHLY}
        WHERE month <= toDate($__toTime)
        GROUP BY month
    )
)
WHERE month BETWEEN toStartOfMonth(toDate($__fromTime)) AND toDate($__toTime)
ORDER BY time
""",
    )


@panel
def quarter_on_a_year_earlier_table() -> Panel:
    return Panel(
        title="Each quarter against the same quarter a year earlier",
        kind="table",
        x="quarter",
        series=("notifications", "a_year_earlier", "change_pct"),
        width=8,
        description="Notifications per quarter, the same quarter a year earlier, and the change in "
        "per cent (one decimal, halves away from zero).",
        sql=f"""
SELECT concat(toString(year), ' Q', toString(quarter)) AS quarter, notifications,
       notifications_a_year_earlier AS a_year_earlier, notifications_change_pct AS change_pct
FROM ${{database}}.{QUARTERLY}
WHERE quarter_start BETWEEN toStartOfQuarter(toDate($__fromTime)) AND toDate($__toTime)
ORDER BY quarter_start
""",
    )


@panel
def change_on_a_year_earlier_stat() -> Panel:
    return Panel(
        title="April to September against a year earlier",
        kind="stat",
        series=("pct_change",),
        unit="percent",
        width=8,
        figure="period_change",
        description="Notifications in the comparison period (1 April – 30 September) against the "
        "same dates one year earlier: 100 × (current − previous) / previous, one decimal.",
        sql=f"""
SELECT pct_change, current, previous
FROM ${{database}}.{PERIOD_CHANGE}
WHERE year = toYear($__toTime)
""",
    )


# The stream's figures now: each inbound partition's latest snapshot, summed (the worker writes
# one per partition it holds, two workers each theirs), and the newest snapshot's time. FINAL: a retried write of a snapshot collapses.
_LATEST_SNAPSHOT = f"""
    SELECT figure, year, dimension, sum(value) AS value, max(snapshot_at) AS taken_at
    FROM (
        SELECT figure, year, dimension, value, taken_at AS snapshot_at
        FROM ${{database}}.{LIVE_FIGURES} FINAL
        WHERE (partition, taken_at) IN (
            SELECT partition, max(taken_at) FROM ${{database}}.{LIVE_FIGURES} GROUP BY partition)
    )
    GROUP BY figure, year, dimension"""


@panel
def live_notifications_stat() -> Panel:
    return Panel(
        title="Notifications in the year, live",
        kind="stat",
        series=("notifications", "seconds_old"),
        width=8,
        description="Notifications with a notified date in the year of the time range's end, as the "
        "stream counts them (its latest snapshot, taken when the stream settles or every minute in a "
        "burst), and how many seconds ago that snapshot was taken. National figures only.",
        sql=f"""
SELECT value AS notifications, dateDiff('second', taken_at, now64(6, 'UTC')) AS seconds_old
FROM ({_LATEST_SNAPSHOT}
)
WHERE figure = 'notifications' AND year = toYear($__toTime) AND dimension = 'total'
""",
    )


@panel
def live_against_marts_table() -> Panel:
    return Panel(
        title="Live against the marts, this year",
        kind="table",
        x="harm_type",
        series=("live", "marts", "not_yet_in_marts"),
        width=16,
        description="Notifications in the year of the time range's end by harm type: the stream's "
        "latest snapshot beside the marts (refreshed every 30 s). A difference is events the next "
        "refresh has not read yet; the reconciliation (Data quality) compares the two when they "
        "have read the same events.",
        sql=f"""
SELECT _s.dimension AS harm_type, _s.value AS live, ifNull(_m.marts, 0) AS marts,
       _s.value - ifNull(_m.marts, 0) AS not_yet_in_marts
FROM ({_LATEST_SNAPSHOT}
) AS _s
LEFT JOIN (
    SELECT harm_type, toInt64(sum(notifications)) AS marts
    FROM ${{database}}.{NOTIFICATIONS}
    WHERE year = toYear($__toTime)
    GROUP BY harm_type
) AS _m ON _m.harm_type = _s.dimension
WHERE _s.figure = 'notifications' AND _s.year = toYear($__toTime)
ORDER BY _s.dimension = 'total', _s.dimension
""",
    )
