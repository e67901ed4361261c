"""Rapid-review timeliness: how long local partnerships take to send the Panel a rapid review.

A review is due on its requested completion date, the 15th working day after the notification.
The marts count reviews by the year of that date, as the annual report's Tables 6–8 do.
"""

from __future__ import annotations

from dashboards.marts import IN_YEARS, NOT_RECEIVED_RANGE, QUARTERLY, TIMELINESS
from dashboards.panel import Panel, panel
from schemas.figures import pct_sql


@panel
def timeliness_buckets_barchart() -> Panel:
    return Panel(
        title="Rapid reviews by working days taken",
        kind="barchart",
        x="timeliness_bucket",
        series=("received", "not_received"),
        stacked=True,
        figure="rapid_review_timeliness",
        description="Reviews due in the years of the range by working days from notification to "
        "the first submission (or, not yet received, to the report date). 1-15 is on time.",
        sql=f"""
SELECT bucket AS timeliness_bucket, sum(received) AS received, sum(not_received) AS not_received
FROM ${{database}}.{TIMELINESS}
WHERE {IN_YEARS} AND period = 'all'
GROUP BY bucket, position
ORDER BY position
""",
    )


@panel
def on_time_share_stat() -> Panel:
    return Panel(
        title="Rapid reviews received on time",
        kind="stat",
        series=("on_time_pct",),
        unit="percent",
        width=6,
        description="Share of the reviews due in the years of the range that arrived within 15 "
        "working days, one decimal.",
        sql=f"""
SELECT {pct_sql("on_time", "due")} AS on_time_pct,
       on_time, due
FROM (
    SELECT sumIf(received, bucket = '1-15') AS on_time, sum(received + not_received) AS due
    FROM ${{database}}.{TIMELINESS}
    WHERE {IN_YEARS} AND period = 'all'
)
""",
    )


@panel
def relaxation_window_barchart() -> Panel:
    return Panel(
        title="Inside and outside the COVID-19 relaxation window",
        kind="barchart",
        x="timeliness_bucket",
        series=("relaxation", "outside_relaxation"),
        width=18,
        figure="rapid_review_timeliness",
        description="All reviews (received or not) by working days taken, split by whether the "
        "requested completion date fell in the relaxation window (1 April – 30 September 2020).",
        sql=f"""
SELECT bucket AS timeliness_bucket,
       sumIf(received + not_received, period = 'relaxation') AS relaxation,
       sumIf(received + not_received, period = 'outside_relaxation') AS outside_relaxation
FROM ${{database}}.{TIMELINESS}
WHERE {IN_YEARS}
GROUP BY bucket, position
ORDER BY position
""",
    )


@panel
def overdue_reviews_barchart() -> Panel:
    return Panel(
        title="Overdue rapid reviews by quarter due",
        kind="barchart",
        x="quarter",
        series=("on_time", "overdue"),
        stacked=True,
        width=16,
        description="Reviews due in each quarter: received within 15 working days, or overdue "
        "(received later, or not received and past the due date at the report date).",
        sql=f"""
SELECT concat(toString(year), ' Q', toString(quarter)) AS quarter,
       rapid_reviews_on_time AS on_time, rapid_reviews_overdue AS overdue
FROM ${{database}}.{QUARTERLY}
WHERE quarter_start BETWEEN toStartOfQuarter(toDate($__fromTime)) AND toDate($__toTime)
ORDER BY quarter_start
""",
    )


@panel
def not_received_working_days_table() -> Panel:
    return Panel(
        title="Reviews still not received: working days elapsed",
        kind="table",
        x="period",
        series=("min_working_days", "max_working_days"),
        width=8,
        figure="rapid_review_timeliness",
        description="Of the reviews due in the year and not received at the report date, the "
        "fewest and most working days since notification, inside and outside the relaxation window.",
        sql=f"""
SELECT period, min_working_days, max_working_days
FROM ${{database}}.{NOT_RECEIVED_RANGE}
WHERE year = toYear($__toTime)
ORDER BY period = 'relaxation', period
""",
    )
