"""Local area: one local authority and its region, from the suppressed viewer tables only.

In those tables (``pub_*``, written by the disclosure-control step after each build) a count from
1 to the suppression threshold is already the string 'c', with secondary suppression chosen across
every published area table so it cannot be worked out from the totals beside it; so no small
number about identifiable children reaches a viewer. These panels show whole years
(``period = 'year'``); the tables also hold each quarter.
"""

from __future__ import annotations

from dashboards.marts import LOCAL_AUTHORITIES, REGIONS
from dashboards.panel import Panel, panel

THIS_LA = "local_authority = '${local_authority}'"


@panel
def notifications_by_year_table() -> Panel:
    return Panel(
        title="This authority's notifications by year",
        kind="table",
        x="year",
        series=("notifications",),
        suppressed=True,
        width=8,
        description="Notifications of the selected local authority by year of the notified date; "
        "'c' marks a count too small to publish.",
        sql=f"""
SELECT toString(_n.year) AS year, notifications
FROM ${{database}}.{LOCAL_AUTHORITIES} AS _n
WHERE {THIS_LA} AND _n.period = 'year' AND _n.year BETWEEN toYear($__fromTime) AND toYear($__toTime)
ORDER BY _n.year
""",
    )


@panel
def region_comparison_table() -> Panel:
    return Panel(
        title="Authorities in the same region",
        kind="table",
        x="local_authority_name",
        series=("notifications",),
        suppressed=True,
        width=8,
        description="Notifications of each authority in the selected authority's region in the "
        "last year of the range ('c' where suppressed).",
        sql=f"""
SELECT local_authority_name, notifications
FROM ${{database}}.{LOCAL_AUTHORITIES}
WHERE year = toYear($__toTime) AND period = 'year'
  AND region_code = (SELECT any(region_code) FROM ${{database}}.{LOCAL_AUTHORITIES} WHERE {THIS_LA})
ORDER BY local_authority_name
""",
    )


def _regions_table(title: str, period: str, description: str) -> Panel:
    """Regions and England from the suppressed viewer table, for the rows ``period`` selects."""
    return Panel(
        title=title,
        kind="table",
        x="region_name",
        series=("notifications",),
        suppressed=True,
        width=8,
        description=description,
        sql=f"""
SELECT region_name, notifications
FROM ${{database}}.{REGIONS}
WHERE {period}
ORDER BY region_name = 'England', region_name
""",
    )


def _local_authorities_table(title: str, period: str, description: str) -> Panel:
    """Every authority from the suppressed viewer table, for the rows ``period`` selects."""
    return Panel(
        title=title,
        kind="table",
        x="local_authority_name",
        series=("notifications",),
        suppressed=True,
        width=24,
        height=14,
        description=description,
        sql=f"""
SELECT local_authority_name, region_name, notifications
FROM ${{database}}.{LOCAL_AUTHORITIES}
WHERE {period}
ORDER BY region_name, local_authority_name
""",
    )


YEAR_OF_RANGE = "year = toYear($__toTime) AND period = 'year'"


@panel
def notifications_by_region_table() -> Panel:
    return _regions_table("Notifications by region", YEAR_OF_RANGE,
                          "Notifications of each region of England, and England, in the last year of the "
                          "range ('c' where suppressed).")


@panel
def notifications_by_local_authority_table() -> Panel:
    return _local_authorities_table("Notifications by local authority", YEAR_OF_RANGE,
                                    "Every local authority's notifications in the last year of the range; 'c' "
                                    "marks a count too small to publish.")


# The quarterly briefing's local-area tables: the quarter itself (period 'Q1'..'Q4' of the
# quarter that ends the time range), not the year to date. A year too sparse for its quarters to be
# protected publishes no quarter rows (see infra.warehouse.viewer): the table is then empty.
QUARTER_OF_RANGE = "year = toYear($__toTime) AND period = concat('Q', toString(toQuarter($__toTime)))"


@panel
def quarter_notifications_by_region_table() -> Panel:
    return _regions_table("Notifications by region in the quarter", QUARTER_OF_RANGE,
                          "Notifications of each region of England, and England, in the quarter ('c' where "
                          "suppressed).")


@panel
def quarter_notifications_by_local_authority_table() -> Panel:
    return _local_authorities_table("Notifications by local authority in the quarter", QUARTER_OF_RANGE,
                                    "Every local authority's notifications in the quarter; 'c' marks a count "
                                    "too small to publish (or suppressed so that none can be worked out).")
