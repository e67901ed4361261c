"""Rapid-review timeliness: the buckets of Tables 6–8, the share on time, the overdue list."""

from __future__ import annotations

from dashboards.common import Dashboard
from dashboards.rapid_review_timeliness.panels import (
    not_received_working_days_table,
    on_time_share_stat,
    overdue_reviews_barchart,
    overdue_reviews_list,
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
        .panel(overdue_reviews_list())
    )
