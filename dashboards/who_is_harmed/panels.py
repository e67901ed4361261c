"""Who is harmed: the children of the notifications, their circumstances and the services
that knew them. Counts are of notifications in the range (children for age, gender, ethnicity)."""

from __future__ import annotations

from dashboards.marts import CHILDREN, NOTIFICATIONS
from dashboards.panel import Panel, panel
from dashboards.reference import CENSUS_SOURCE, census_values_sql

IN_RANGE = "notified_date BETWEEN toDate($__fromTime) AND toDate($__toTime) AND NOT is_withdrawn"
BY_HARM = """countIf(harm_type = 'death') AS death,
       countIf(harm_type = 'serious_harm') AS serious_harm,
       countIf(harm_type = 'other') AS other"""


@panel
def children_by_age_and_gender_barchart() -> Panel:
    return Panel(
        title="Children by age and gender",
        kind="barchart",
        x="age_band",
        series=("male", "female", "transgender", "not_recorded"),
        stacked=True,
        figure="children",
        description="Children of the notifications in the range, by age at the incident and gender.",
        sql=f"""
SELECT age_band,
       countIf(gender = 'male') AS male, countIf(gender = 'female') AS female,
       countIf(gender = 'transgender') AS transgender, countIf(gender = 'not_recorded') AS not_recorded
FROM ${{database}}.{CHILDREN}
WHERE {IN_RANGE}
GROUP BY age_band
ORDER BY indexOf(['under_1', '1_to_4', '5_to_9', '10_to_14', '15_to_17'], age_band)
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
        description="Share of children (where ethnicity is recorded) by ethnic group, beside the "
        f"share of 0-17 year olds in England. Census source: {CENSUS_SOURCE}.",
        sql=f"""
SELECT c.ethnicity AS ethnicity, n.children AS children,
       toFloat64(round(toDecimal64(100 * n.children / sum(n.children) OVER (), 6), 1)) AS notified_pct,
       c.census_pct AS census_pct
FROM {census_values_sql()} AS c
LEFT JOIN (
    SELECT ethnicity, count() AS children
    FROM ${{database}}.{CHILDREN}
    WHERE {IN_RANGE} AND ethnicity != 'not_recorded'
    GROUP BY ethnicity
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
SELECT ifNull(toString(imd_quintile), 'not_recorded') AS imd_quintile, count() AS notifications
FROM ${{database}}.{NOTIFICATIONS}
WHERE {IN_RANGE}
GROUP BY imd_quintile
ORDER BY imd_quintile
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
        height=10,
        figure="case_characteristics",
        description="Notifications in the range with each characteristic (a notification may have "
        "several), by harm type.",
        sql=f"""
SELECT characteristic, {BY_HARM}
FROM ${{database}}.{NOTIFICATIONS}
ARRAY JOIN case_characteristics AS characteristic
WHERE {IN_RANGE}
GROUP BY characteristic
ORDER BY death + serious_harm + other DESC, characteristic
""",
    )


@panel
def service_involvement_table() -> Panel:
    return Panel(
        title="Known to children's social care",
        kind="table",
        x="known_to_csc",
        width=24,
        height=10,
        figure="service_involvement",
        description="Notifications in the range by the most significant current involvement of "
        "children's social care, by harm type.",
        sql=f"""
SELECT known_to_csc, {BY_HARM}
FROM ${{database}}.{NOTIFICATIONS}
WHERE {IN_RANGE}
GROUP BY known_to_csc
ORDER BY indexOf(['not_known', 'information_no_referral', 'referral_no_assessment', 'initial_assessment',
                  'caf', 'child_in_need', 'child_protection_plan', 'looked_after', 'other'], known_to_csc)
""",
    )
