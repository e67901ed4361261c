"""National overview: the headline counts of serious incident notifications."""

from __future__ import annotations

from dashboards.common import Dashboard
from dashboards.national_overview.panels import (
    change_on_a_year_earlier_stat,
    live_against_marts_table,
    live_notifications_stat,
    notifications_by_harm_type_barchart,
    notifications_by_month_barchart,
    quarter_on_a_year_earlier_table,
    rolling_twelve_months_timeseries,
)

UID = "cspr-national-overview"


def dashboard() -> Dashboard:
    return (
        Dashboard(UID, "National overview", "Serious incident notifications in England: how many, "
                  "of which harm, and the change on a year earlier.")
        .row("Notifications")
        .panel(notifications_by_harm_type_barchart())
        .panel(change_on_a_year_earlier_stat())
        .panel(notifications_by_month_barchart())
        .row("Live: the stream's figures beside the marts")
        .panel(live_notifications_stat())
        .panel(live_against_marts_table())
        .row("Trend")
        .panel(rolling_twelve_months_timeseries())
        .panel(quarter_on_a_year_earlier_table())
    )
