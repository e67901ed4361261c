"""Data quality: dead letters, freshness, late and out-of-order events, reconciliation."""

from __future__ import annotations

from dashboards.common import Dashboard
from dashboards.data_quality.panels import (
    dead_letters_by_reason_barchart,
    freshness_stat,
    late_and_out_of_order_timeseries,
    stream_reconciliation_table,
)

UID = "cspr-data-quality"


def dashboard() -> Dashboard:
    return (
        Dashboard(UID, "Data quality", "What the platform rejected and why, how fresh the marts "
                  "are, late and out-of-order events, and the stream against dbt.")
        .row("Rejected")
        .panel(dead_letters_by_reason_barchart())
        .row("Timeliness of the data")
        .panel(freshness_stat())
        .panel(late_and_out_of_order_timeseries())
        .row("Reconciliation")
        .panel(stream_reconciliation_table())
    )
