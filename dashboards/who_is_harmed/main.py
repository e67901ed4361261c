"""Who is harmed: age and gender, ethnicity against the census, deprivation, case
characteristics and service involvement."""

from __future__ import annotations

from dashboards.common import Dashboard
from dashboards.who_is_harmed.panels import (
    case_characteristics_barchart,
    children_by_age_and_gender_barchart,
    deprivation_barchart,
    ethnicity_against_census_barchart,
    service_involvement_table,
)

UID = "cspr-who-is-harmed"


def dashboard() -> Dashboard:
    return (
        Dashboard(UID, "Who is harmed", "The children of the notifications: age, gender, "
                  "ethnicity, deprivation, their circumstances and the services that knew them.")
        .row("Children")
        .panel(children_by_age_and_gender_barchart())
        .panel(ethnicity_against_census_barchart())
        .row("Circumstances")
        .panel(deprivation_barchart())
        .panel(case_characteristics_barchart())
        .panel(service_involvement_table())
    )
