"""Who is harmed: age and gender, ethnicity against the census, deprivation, case
characteristics and service involvement."""

from __future__ import annotations

from dashboards.common import Dashboard
from dashboards.who_is_harmed.panels import (
    case_characteristics_barchart,
    children_by_age_barchart,
    children_by_gender_barchart,
    court_orders_table,
    deprivation_barchart,
    ethnicity_against_census_barchart,
    known_to_social_care_table,
    living_situation_table,
)

UID = "cspr-who-is-harmed"


def dashboard() -> Dashboard:
    return (
        Dashboard(UID, "Who is harmed", "The children of the notifications: age, gender, "
                  "ethnicity against the census, deprivation, their circumstances and the services "
                  "that knew them.")
        .row("Children")
        .panel(children_by_age_barchart())
        .panel(children_by_gender_barchart())
        .panel(ethnicity_against_census_barchart())
        .row("Circumstances")
        .panel(deprivation_barchart())
        .panel(case_characteristics_barchart())
        .row("Service involvement")
        .panel(known_to_social_care_table())
        .panel(court_orders_table())
        .panel(living_situation_table())
    )
