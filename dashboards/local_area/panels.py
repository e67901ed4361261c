"""Local area: one local authority's notifications and reviews, from the suppressed viewer
marts only. A count from 1 to the suppression threshold is already the string 'c' there, so
no small number about identifiable children reaches a viewer."""

from __future__ import annotations

from dashboards.marts import LOCAL_AREA
from dashboards.panel import Panel, panel

THIS_LA = "local_authority = '${local_authority}'"


@panel
def notifications_by_year_table() -> Panel:
    return Panel(
        title="Notifications by year and harm type",
        kind="table",
        x="year",
        series=("death", "serious_harm", "other", "total"),
        suppressed=True,
        description="Notifications of the selected local authority by year of the notified date; "
        "'c' marks a count too small to publish.",
        sql=f"""
SELECT toString(year) AS year, death, serious_harm, other, total
FROM ${{database}}.{LOCAL_AREA}
WHERE {THIS_LA} AND year BETWEEN toYear(toDate($__fromTime)) AND toYear(toDate($__toTime))
ORDER BY year
""",
    )


@panel
def region_comparison_table() -> Panel:
    return Panel(
        title="Authorities in the same region",
        kind="table",
        x="local_authority_name",
        series=("total",),
        suppressed=True,
        description="Notifications of each authority in the selected authority's region in the "
        "last year of the range ('c' where suppressed).",
        sql=f"""
SELECT local_authority_name, total
FROM ${{database}}.{LOCAL_AREA}
WHERE region_code = (SELECT any(region_code) FROM ${{database}}.{LOCAL_AREA} WHERE {THIS_LA})
  AND year = toYear(toDate($__toTime))
ORDER BY local_authority_name
""",
    )


@panel
def notifications_by_local_authority_table() -> Panel:
    return Panel(
        title="Notifications by local authority",
        kind="table",
        x="local_authority_name",
        series=("death", "serious_harm", "other", "total"),
        suppressed=True,
        width=24,
        height=14,
        description="Every local authority's notifications in the last year of the range, by harm "
        "type; 'c' marks a count too small to publish.",
        sql=f"""
SELECT local_authority_name, region_name, death, serious_harm, other, total
FROM ${{database}}.{LOCAL_AREA}
WHERE year = toYear($__toTime)
ORDER BY region_name, local_authority_name
""",
    )
