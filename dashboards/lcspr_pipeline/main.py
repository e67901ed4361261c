"""LCSPR pipeline: decisions, the Panel's agreement, initiated, published, time to publish."""

from __future__ import annotations

from dashboards.common import Dashboard
from dashboards.lcspr_pipeline.panels import (
    lcspr_decisions_piechart,
    lcspr_initiated_barchart,
    lcspr_reports_barchart,
    panel_agreement_stat,
    time_to_publish_stat,
)

UID = "cspr-lcspr-pipeline"


def dashboard() -> Dashboard:
    return (
        Dashboard(UID, "LCSPR pipeline", "Local child safeguarding practice reviews: decided, "
                  "agreed by the Panel, initiated, published, and how long publication takes.")
        .row("Decisions")
        .panel(lcspr_decisions_piechart())
        .panel(panel_agreement_stat())
        .panel(lcspr_initiated_barchart())
        .row("Reports")
        .panel(lcspr_reports_barchart())
        .panel(time_to_publish_stat())
    )
