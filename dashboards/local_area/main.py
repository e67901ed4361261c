"""Local area: one local authority at a time, from the suppressed marts only."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import CustomVariable

from dashboards.common import Dashboard
from dashboards.local_area.panels import (
    notifications_by_local_authority_table,
    notifications_by_region_table,
    notifications_by_year_table,
    region_comparison_table,
)
from schemas.local_authorities import LOCAL_AUTHORITIES

UID = "cspr-local-area"


def local_authority_variable() -> CustomVariable:
    # Grafana custom variables take "text : value" pairs; the 151 authorities are the contract's
    # reference list, so the choice needs no query against the warehouse.
    las = sorted(LOCAL_AUTHORITIES, key=lambda la: la.name)
    return (
        CustomVariable("local_authority")
        .label("Local authority")
        .values(",".join(f"{la.name.replace(',', ' ')} : {la.code}" for la in las))
    )


def dashboard() -> Dashboard:
    return (
        Dashboard(UID, "Local area", "One local authority's notifications, suppressed: counts too "
                  "small to publish show as 'c'.")
        .with_variable(local_authority_variable())
        .row("This authority")
        .panel(notifications_by_year_table())
        .panel(region_comparison_table())
        .panel(notifications_by_region_table())
        .row("Every authority")
        .panel(notifications_by_local_authority_table())
    )
