"""Rapid-review timeliness: the buckets of Tables 6–8, the share on time, how many are overdue.

The list of overdue cases (``rpt_overdue_rapid_reviews``) is case-level: analysts read it in the
warehouse (or the worker's analyst view), viewers see only the counts."""

from __future__ import annotations

from dashboards.common import Dashboard
from dashboards.rapid_review_timeliness.panels import (
    not_received_working_days_table,
    on_time_share_stat,
    overdue_reviews_barchart,
    relaxation_window_barchart,
    timeliness_buckets_barchart,
)

UID = "cspr-rapid-review-timeliness"


def dashboard() -> Dashboard:
    return (
        Dashboard(UID, "Rapid-review timeliness", "Working days from notification to rapid review, "
                  "by requested completion date; the relaxation window; what is overdue now.")
        .row("Timeliness")
        .panel(timeliness_buckets_barchart())
        .panel(on_time_share_stat())
        .panel(relaxation_window_barchart())
        .row("Overdue")
        .panel(overdue_reviews_barchart())
        .panel(not_received_working_days_table())
    )
