"""Learning: the themes reviews evidence, COVID-19 factors, the quality picture, decisions and
partnerships' compliance (contract v2), from the suppressed learning viewer table only."""

from __future__ import annotations

from dashboards.common import Dashboard
from dashboards.learning.panels import (
    covid_factors_by_case_theme_table,
    detail_recorded_stat,
    disagreement_direction_piechart,
    lcspr_decision_rates_barchart,
    no_lcspr_reasons_piechart,
    partnership_compliance_barchart,
    rapid_review_quality_barchart,
    themes_by_quarter_table,
    themes_most_cited_barchart,
)

UID = "cspr-learning"


def dashboard() -> Dashboard:
    return (
        Dashboard(UID, "Learning", "What rapid reviews found: practice themes and how they moved, COVID-19 "
                  "factors, the quality of reviews, decisions and the Panel's challenge, partnerships' reports.")
        .row("Practice themes")
        .panel(themes_most_cited_barchart())
        .panel(themes_by_quarter_table())
        .row("COVID-19")
        .panel(covid_factors_by_case_theme_table())
        .row("Quality")
        .panel(rapid_review_quality_barchart())
        .panel(detail_recorded_stat())
        .row("Decisions")
        .panel(no_lcspr_reasons_piechart())
        .panel(disagreement_direction_piechart())
        .panel(lcspr_decision_rates_barchart())
        .row("Partnerships")
        .panel(partnership_compliance_barchart())
    )
