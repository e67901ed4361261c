"""National overview: how many incidents are notified, of which harm, and how that is moving."""

from __future__ import annotations

from dashboards.marts import IN_YEARS, NOTIFICATIONS, PERIOD_CHANGE, QUARTERLY
from dashboards.panel import Panel, panel


@panel
def notifications_by_harm_type_barchart() -> Panel:
    return Panel(
        title="Notifications by harm type",
        kind="barchart",
        x="harm_type",
        series=("notifications",),
        figure="notifications",
        description="Serious incident notifications with a notified date in the years of the time "
        "range, by harm type, corrections applied, withdrawn cases left out.",
        sql=f"""
SELECT harm_type, sum(notifications) AS notifications
FROM ${{database}}.{NOTIFICATIONS}
WHERE {IN_YEARS} AND harm_type != 'total'
GROUP BY harm_type, position
ORDER BY position
""",
    )


@panel
def notifications_by_quarter_barchart() -> Panel:
    # Quarters, not months: the finest grain the marts keep (rpt_quarterly_learning).
    return Panel(
        title="Notifications by quarter and harm type",
        kind="barchart",
        x="quarter",
        series=("death", "serious_harm", "other"),
        stacked=True,
        width=24,
        description="Notifications per calendar quarter of the notified date, stacked by harm type.",
        sql=f"""
SELECT concat(toString(year), ' Q', toString(quarter)) AS quarter,
       notifications_death AS death, notifications_serious_harm AS serious_harm, notifications_other AS other
FROM ${{database}}.{QUARTERLY}
WHERE quarter_start BETWEEN toStartOfQuarter(toDate($__fromTime)) AND toDate($__toTime)
ORDER BY quarter_start
""",
    )


@panel
def rolling_year_timeseries() -> Panel:
    return Panel(
        title="Notifications in the four quarters to each quarter",
        kind="timeseries",
        x="time",
        series=("rolling_year",),
        width=8,
        description="For each quarter, the notifications of that quarter and the three before it (a "
        "rolling year), so seasonal swings do not hide the trend.",
        sql=f"""
SELECT toDateTime(quarter_start, 'UTC') AS time, rolling_year
FROM (
    SELECT quarter_start,
           sum(notifications) OVER (ORDER BY quarter_start ROWS BETWEEN 3 PRECEDING AND CURRENT ROW) AS rolling_year
    FROM ${{database}}.{QUARTERLY}
    WHERE quarter_start <= toDate($__toTime)
)
WHERE quarter_start BETWEEN toStartOfQuarter(toDate($__fromTime)) AND toDate($__toTime)
ORDER BY time
""",
    )


@panel
def quarter_on_a_year_earlier_table() -> Panel:
    return Panel(
        title="Each quarter against the same quarter a year earlier",
        kind="table",
        x="quarter",
        series=("notifications", "a_year_earlier", "change_pct"),
        width=8,
        description="Notifications per quarter, the same quarter a year earlier, and the change in "
        "per cent (one decimal, halves away from zero).",
        sql=f"""
SELECT concat(toString(year), ' Q', toString(quarter)) AS quarter, notifications,
       notifications_a_year_earlier AS a_year_earlier, notifications_change_pct AS change_pct
FROM ${{database}}.{QUARTERLY}
WHERE quarter_start BETWEEN toStartOfQuarter(toDate($__fromTime)) AND toDate($__toTime)
ORDER BY quarter_start
""",
    )


@panel
def change_on_a_year_earlier_stat() -> Panel:
    return Panel(
        title="April to September against a year earlier",
        kind="stat",
        series=("pct_change",),
        unit="percent",
        width=8,
        figure="period_change",
        description="Notifications in the comparison period (1 April – 30 September) against the "
        "same dates one year earlier: 100 × (current − previous) / previous, one decimal.",
        sql=f"""
SELECT pct_change, current, previous
FROM ${{database}}.{PERIOD_CHANGE}
WHERE year = toYear($__toTime)
""",
    )
