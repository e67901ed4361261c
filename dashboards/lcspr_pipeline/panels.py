"""LCSPR pipeline: from the rapid review's decision to a published local child safeguarding
practice review, and how long publication takes."""

from __future__ import annotations

from dashboards.marts import LCSPRS, NOTIFICATIONS, RAPID_REVIEWS
from dashboards.panel import Panel, panel


@panel
def lcspr_decisions_piechart() -> Panel:
    return Panel(
        title="Decisions on a local review",
        kind="piechart",
        x="decision",
        series=("notifications",),
        width=8,
        figure="lcspr_decisions",
        description="For notifications in the range, the decision known now: the latest of the "
        "rapid review's decision and any later decision; undecided where there is none yet.",
        sql=f"""
SELECT decision, count() AS notifications
FROM ${{database}}.{NOTIFICATIONS}
WHERE notified_date BETWEEN toDate($__fromTime) AND toDate($__toTime) AND NOT is_withdrawn
GROUP BY decision
ORDER BY indexOf(['lcspr', 'no_lcspr', 'undecided'], decision)
""",
    )


@panel
def panel_agreement_stat() -> Panel:
    return Panel(
        title="Panel agrees with the decision",
        kind="stat",
        series=("agreement_pct",),
        unit="percent",
        width=8,
        figure="panel_feedback",
        description="Of the rapid reviews first received in the range, the share where the Panel's "
        "latest feedback agrees with the local decision: agrees / (agrees + disagrees).",
        sql=f"""
SELECT agrees, disagrees,
       if(agrees + disagrees = 0, NULL,
          toFloat64(round(toDecimal64(100 * agrees / (agrees + disagrees), 6), 1))) AS agreement_pct
FROM (
    SELECT countIf(feedback_agrees = true) AS agrees, countIf(feedback_agrees = false) AS disagrees
    FROM ${{database}}.{RAPID_REVIEWS}
    WHERE received_date BETWEEN toDate($__fromTime) AND toDate($__toTime) AND NOT is_withdrawn
)
""",
    )


@panel
def lcspr_initiated_barchart() -> Panel:
    return Panel(
        title="Local reviews initiated, by year",
        kind="barchart",
        x="year",
        series=("initiated",),
        width=8,
        figure="lcspr_initiated_by_year",
        description="Cases with a local review initiated, counted once each by the year of the "
        "latest initiation date, for every year up to the end of the range.",
        sql=f"""
SELECT toString(toYear(initiated_date)) AS year, count() AS initiated
FROM ${{database}}.{LCSPRS}
WHERE initiated_date IS NOT NULL AND toYear(initiated_date) <= toYear(toDate($__toTime)) AND NOT is_withdrawn
GROUP BY year
ORDER BY year
""",
    )


@panel
def lcspr_reports_barchart() -> Panel:
    return Panel(
        title="Final reports received and their publication",
        kind="barchart",
        x="status",
        series=("reports",),
        width=12,
        figure="lcspr_reports",
        description="Local review reports received by the end of the range, by status then: "
        "published, or the latest stated intent (intend to publish, not publishing).",
        sql=f"""
SELECT status, count() AS reports
FROM (
    SELECT if(published_date IS NOT NULL AND published_date <= toDate($__toTime), 'published',
              publication_intent) AS status
    FROM ${{database}}.{LCSPRS}
    WHERE report_received_date IS NOT NULL AND report_received_date <= toDate($__toTime) AND NOT is_withdrawn
)
GROUP BY status
ORDER BY indexOf(['published', 'intend_to_publish', 'not_publishing'], status)
""",
    )


@panel
def time_to_publish_barchart() -> Panel:
    return Panel(
        title="Working days from initiation to publication",
        kind="barchart",
        x="working_days",
        series=("published",),
        width=12,
        description="Local reviews published by the end of the range, by working days from the "
        "latest initiation to publication; the statutory expectation is six months.",
        sql=f"""
SELECT multiIf(working_days_to_publish <= 130, 'up to 130',
               working_days_to_publish <= 200, '131-200', 'over 200') AS working_days,
       count() AS published
FROM ${{database}}.{LCSPRS}
WHERE published_date IS NOT NULL AND published_date <= toDate($__toTime) AND NOT is_withdrawn
GROUP BY working_days
ORDER BY indexOf(['up to 130', '131-200', 'over 200'], working_days)
""",
    )
