"""Rapid-review timeliness: how long local partnerships take to send the Panel a rapid review.

A review is due on its requested completion date, the 15th working day after the notification.
The time range selects reviews by that date, as the annual report's Tables 6–8 do.
"""

from __future__ import annotations

from dashboards.marts import RAPID_REVIEWS
from dashboards.panel import Panel, panel

DUE_IN_RANGE = (
    "requested_completion_date BETWEEN toDate($__fromTime) AND toDate($__toTime) AND NOT is_withdrawn"
)
BUCKET_ORDER = "indexOf(['1-15', '16-25', '26-59', '60+'], timeliness_bucket)"


@panel
def timeliness_buckets_barchart() -> Panel:
    return Panel(
        title="Rapid reviews by working days taken",
        kind="barchart",
        x="timeliness_bucket",
        series=("received", "not_received"),
        stacked=True,
        figure="rapid_review_timeliness",
        description="Reviews due in the range by working days from notification to the first "
        "submission (or, not yet received, to the report date): 1-15 is on time.",
        sql=f"""
SELECT timeliness_bucket, countIf(is_received) AS received, countIf(NOT is_received) AS not_received
FROM ${{database}}.{RAPID_REVIEWS}
WHERE {DUE_IN_RANGE}
GROUP BY timeliness_bucket
ORDER BY {BUCKET_ORDER}
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
        description="Share of the reviews due in the range that arrived within 15 working days.",
        sql=f"""
SELECT if(count() = 0, NULL,
          toFloat64(round(toDecimal64(100 * countIf(is_received AND timeliness_bucket = '1-15') / count(), 6), 1)))
       AS on_time_pct
FROM ${{database}}.{RAPID_REVIEWS}
WHERE {DUE_IN_RANGE}
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
        description="Received reviews by working days taken, split by whether the requested "
        "completion date fell in the relaxation window (1 April – 30 September 2020).",
        sql=f"""
SELECT timeliness_bucket,
       countIf(in_relaxation) AS relaxation,
       countIf(NOT in_relaxation) AS outside_relaxation
FROM ${{database}}.{RAPID_REVIEWS}
WHERE {DUE_IN_RANGE}
GROUP BY timeliness_bucket
ORDER BY {BUCKET_ORDER}
""",
    )


@panel
def overdue_reviews_table() -> Panel:
    return Panel(
        title="Overdue rapid reviews",
        kind="table",
        width=24,
        height=10,
        description="Reviews not yet received whose requested completion date has passed, "
        "longest overdue first.",
        sql=f"""
SELECT subject AS case_reference, local_authority, notified_date, requested_completion_date,
       working_days AS working_days_elapsed
FROM ${{database}}.{RAPID_REVIEWS}
WHERE {DUE_IN_RANGE} AND NOT is_received AND working_days > 15
ORDER BY working_days DESC, subject
LIMIT 200
""",
    )
