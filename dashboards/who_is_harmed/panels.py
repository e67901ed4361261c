"""Who is harmed: the children of the notifications, their circumstances and the services
that knew them. Counts are of notifications in the years of the range (children for age,
gender and ethnicity)."""

from __future__ import annotations

from dashboards.marts import CASE_CHARACTERISTICS, CHILDREN, IMD_QUINTILES, IN_YEARS, SERVICE_INVOLVEMENT
from dashboards.panel import Panel, panel
from dashboards.reference import CENSUS_SOURCE, census_values_sql
from schemas.figures import pct_sql

BY_HARM = """sumIf(notifications, harm_type = 'death') AS death,
       sumIf(notifications, harm_type = 'serious_harm') AS serious_harm,
       sumIf(notifications, harm_type = 'other') AS other"""


@panel
def children_by_age_barchart() -> Panel:
    return Panel(
        title="Children by age at the incident",
        kind="barchart",
        x="age_band",
        series=("children",),
        width=8,
        figure="children",
        description="Children of the notifications by age band: under one, 1–4, 5–9, 10–14, 15–17.",
        sql=f"""
SELECT value AS age_band, sum(children) AS children
FROM ${{database}}.{CHILDREN}
WHERE {IN_YEARS} AND dimension = 'age_band'
GROUP BY value, position
ORDER BY position
""",
    )


@panel
def children_by_gender_barchart() -> Panel:
    return Panel(
        title="Children by gender",
        kind="barchart",
        x="gender",
        series=("children",),
        width=8,
        figure="children",
        description="Children of the notifications by gender as recorded in the notification.",
        sql=f"""
SELECT value AS gender, sum(children) AS children
FROM ${{database}}.{CHILDREN}
WHERE {IN_YEARS} AND dimension = 'gender'
GROUP BY value, position
ORDER BY position
""",
    )


@panel
def ethnicity_against_census_barchart() -> Panel:
    return Panel(
        title="Ethnicity against the 2011 census",
        kind="barchart",
        x="ethnicity",
        series=("notified_pct", "census_pct"),
        unit="percent",
        width=8,
        figure="children",
        description="Share of children (where ethnicity is recorded) by ethnic group, beside the "
        f"share of 0-17 year olds in England. Census source: {CENSUS_SOURCE}.",
        sql=f"""
SELECT c.ethnicity AS ethnicity,
       n.children AS children,
       {pct_sql("n.children", "sum(n.children) OVER ()")} AS notified_pct,
       c.census_pct AS census_pct
FROM {census_values_sql()} AS c
LEFT JOIN (
    SELECT value AS ethnicity, sum(children) AS children
    FROM ${{database}}.{CHILDREN}
    WHERE {IN_YEARS} AND dimension = 'ethnicity' AND value != 'not_recorded'
    GROUP BY value
) AS n ON n.ethnicity = c.ethnicity
ORDER BY indexOf(['asian', 'black', 'mixed', 'white_british', 'other'], ethnicity)
""",
    )


@panel
def deprivation_barchart() -> Panel:
    return Panel(
        title="Deprivation of the child's home area",
        kind="barchart",
        x="imd_quintile",
        series=("notifications",),
        figure="imd_quintile",
        description="Notifications by Index of Multiple Deprivation quintile of the child's home "
        "area: 1 is the most deprived fifth of England.",
        sql=f"""
SELECT imd_quintile, sum(notifications) AS notifications
FROM ${{database}}.{IMD_QUINTILES}
WHERE {IN_YEARS}
GROUP BY imd_quintile, position
ORDER BY position
""",
    )


@panel
def case_characteristics_barchart() -> Panel:
    return Panel(
        title="Case characteristics",
        kind="barchart",
        x="characteristic",
        series=("death", "serious_harm", "other"),
        stacked=True,
        width=24,
        height=12,
        figure="case_characteristics",
        description="Notifications citing each characteristic (a notification may cite several), "
        "by harm type.",
        sql=f"""
SELECT characteristic, {BY_HARM}
FROM ${{database}}.{CASE_CHARACTERISTICS}
WHERE {IN_YEARS}
GROUP BY characteristic, position
ORDER BY position
""",
    )


def _service_involvement(dimension: str) -> str:
    return f"""
SELECT value AS {dimension}, {BY_HARM}
FROM ${{database}}.{SERVICE_INVOLVEMENT}
WHERE {IN_YEARS} AND dimension = '{dimension}'
GROUP BY value, position
ORDER BY position
"""


@panel
def known_to_social_care_table() -> Panel:
    return Panel(
        title="Known to children's social care",
        kind="table",
        x="known_to_csc",
        width=12,
        height=10,
        figure="service_involvement",
        description="Notifications by the most significant current involvement of children's "
        "social care, by harm type.",
        sql=_service_involvement("known_to_csc"),
    )


@panel
def court_orders_table() -> Panel:
    return Panel(
        title="Court orders",
        kind="table",
        x="court_order",
        width=6,
        height=10,
        figure="service_involvement",
        description="Notifications by the child's court order at the incident, by harm type.",
        sql=_service_involvement("court_order"),
    )


@panel
def living_situation_table() -> Panel:
    return Panel(
        title="Where the child was living",
        kind="table",
        x="living_situation",
        width=6,
        height=10,
        figure="service_involvement",
        description="Notifications by the child's living situation at the incident, by harm type.",
        sql=_service_involvement("living_situation"),
    )
