"""LCSPR pipeline: from the rapid review's decision to a published local child safeguarding
practice review, and how long publication takes."""

from __future__ import annotations

from dashboards.marts import IN_YEARS, LCSPR_DECISIONS, LCSPR_INITIATED, LCSPR_REPORTS, REVIEWS_RECEIVED
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
        description="For notifications in the years of the range, the decision known at the report "
        "date: the latest of the rapid review's and any later decision; undecided where none yet.",
        sql=f"""
SELECT decision, sum(notifications) AS notifications
FROM ${{database}}.{LCSPR_DECISIONS}
WHERE {IN_YEARS}
GROUP BY decision, position
ORDER BY position
""",
    )


@panel
def panel_agreement_stat() -> Panel:
    return Panel(
        title="Panel agrees with the local decision",
        kind="stat",
        series=("agreement_pct",),
        unit="percent",
        width=8,
        figure="panel_feedback",
        description="Of the rapid reviews first received in the year, the share where the Panel's "
        "latest feedback agrees with the local decision: agrees / (agrees + disagrees).",
        sql=f"""
SELECT agreement_pct, agrees, disagrees, reviews_received
FROM ${{database}}.{REVIEWS_RECEIVED}
WHERE year = toYear($__toTime)
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
SELECT toString(initiated_year) AS year, lcspr_initiated AS initiated
FROM ${{database}}.{LCSPR_INITIATED}
WHERE initiated_year <= toYear($__toTime)
ORDER BY initiated_year
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
        description="Local review reports received by the end of the year, by status at the end of "
        "the year: published, or the latest stated intent.",
        sql=f"""
SELECT status, reports
FROM ${{database}}.{LCSPR_REPORTS}
ARRAY JOIN ['published', 'intend_to_publish', 'not_publishing'] AS status,
           [published, intend_to_publish, not_publishing] AS reports
WHERE year = toYear($__toTime)
""",
    )


@panel
def time_to_publish_stat() -> Panel:
    return Panel(
        title="Published more than 200 working days after initiation",
        kind="stat",
        series=("published_over_200_working_days",),
        width=12,
        figure="lcspr_reports",
        description="Of the local reviews published by the end of the year, how many took more "
        "than 200 working days from the latest initiation to publication.",
        sql=f"""
SELECT published_over_200_working_days, published, received
FROM ${{database}}.{LCSPR_REPORTS}
WHERE year = toYear($__toTime)
""",
    )
