"""What the quarterly briefing shows: sections of the dashboards' own panels, in reading order.

The panels are the same functions the Grafana dashboards use; nothing here redefines a query.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dashboards.lcspr_pipeline.panels import (
    lcspr_decisions_piechart,
    lcspr_reports_barchart,
    panel_agreement_stat,
)
from dashboards.local_area.panels import (
    quarter_notifications_by_local_authority_table,
    quarter_notifications_by_region_table,
)
from dashboards.national_overview.panels import (
    change_on_a_year_earlier_stat,
    notifications_by_harm_type_barchart,
    notifications_by_month_barchart,
    quarter_on_a_year_earlier_table,
)
from dashboards.panel import Panel
from dashboards.rapid_review_timeliness.panels import (
    on_time_share_stat,
    relaxation_window_barchart,
    timeliness_buckets_barchart,
)
from dashboards.who_is_harmed.panels import (
    case_characteristics_barchart,
    children_by_age_barchart,
    deprivation_barchart,
    ethnicity_against_census_barchart,
)


@dataclass(frozen=True)
class Contents:
    title: str
    intro: str
    panels: tuple[Callable[[], Panel], ...]


SECTIONS: tuple[Contents, ...] = (
    Contents("Notifications", "Serious incidents notified to the Panel by local authorities.",
             (quarter_on_a_year_earlier_table, notifications_by_month_barchart, notifications_by_harm_type_barchart,
              change_on_a_year_earlier_stat)),
    Contents("Rapid reviews", "How quickly local safeguarding partners sent their rapid reviews.",
             (timeliness_buckets_barchart, on_time_share_stat, relaxation_window_barchart)),
    Contents("Local child safeguarding practice reviews", "Decisions on a local review, the Panel's "
             "view of them, and reports published.",
             (lcspr_decisions_piechart, panel_agreement_stat, lcspr_reports_barchart)),
    Contents("Who is harmed", "The children concerned and their circumstances.",
             (children_by_age_barchart, ethnicity_against_census_barchart, deprivation_barchart,
              case_characteristics_barchart)),
    # The quarter's own area figures, from the viewer tables (disclosure control already applied).
    Contents("Local areas", "Notifications by region and local authority in the quarter. Small counts are "
             "suppressed, with other cells where needed so that none can be worked out.",
             (quarter_notifications_by_region_table, quarter_notifications_by_local_authority_table)),
)
