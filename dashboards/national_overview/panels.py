"""National overview: how many incidents are notified, of which harm, and how that is moving."""

from __future__ import annotations

from dashboards.marts import IN_YEARS, MONTHLY, NOTIFICATIONS, PERIOD_CHANGE, QUARTERLY
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
def notifications_by_month_barchart() -> Panel:
    return Panel(
        title="Notifications by month and harm type",
        kind="barchart",
        x="month",
        series=("death", "serious_harm", "other"),
        stacked=True,
        width=24,
        description="Notifications per calendar month of the notified date, stacked by harm type.",
        sql=f"""
SELECT formatDateTime(m.month, '%Y-%m') AS month,
       sumIf(notifications, harm_type = 'death') AS death,
       sumIf(notifications, harm_type = 'serious_harm') AS serious_harm,
       sumIf(notifications, harm_type = 'other') AS other
FROM ${{database}}.{MONTHLY} AS m
WHERE m.month BETWEEN toStartOfMonth(toDate($__fromTime)) AND toDate($__toTime)
GROUP BY m.month
ORDER BY m.month
""",
    )


@panel
def rolling_twelve_months_timeseries() -> Panel:
    return Panel(
        title="Notifications in the twelve months to each month",
        kind="timeseries",
        x="time",
        series=("rolling_twelve_months",),
        width=16,
        description="For each month, the notifications of that month and the eleven before it (a "
        "rolling year), so seasonal swings do not hide the trend.",
        sql=f"""
SELECT toDateTime(month, 'UTC') AS time, rolling_twelve_months
FROM (
    SELECT month,
           sum(n) OVER (ORDER BY month ROWS BETWEEN 11 PRECEDING AND CURRENT ROW) AS rolling_twelve_months
    FROM (
        SELECT month, sum(notifications) AS n
        FROM ${{database}}.{MONTHLY}
        WHERE month <= toDate($__toTime)
        GROUP BY month
    )
)
WHERE month BETWEEN toStartOfMonth(toDate($__fromTime)) AND toDate($__toTime)
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
