"""National overview: how many incidents are notified, of which harm, and how that is moving."""

from __future__ import annotations

from dashboards.marts import NOTIFICATIONS
from dashboards.panel import Panel, panel

# Notifications counted in a range: notified_date in the range, not withdrawn (the marts are
# built "as at" the report date, so corrections known then are already applied).
IN_RANGE = "notified_date BETWEEN toDate($__fromTime) AND toDate($__toTime) AND NOT is_withdrawn"


@panel
def notifications_by_harm_type_barchart() -> Panel:
    return Panel(
        title="Notifications by harm type",
        kind="barchart",
        x="harm_type",
        series=("notifications",),
        figure="notifications",
        description="Serious incident notifications with a notified date in the time range, by harm "
        "type (death, serious harm, other), corrections applied, withdrawn cases left out.",
        sql=f"""
SELECT harm_type, count() AS notifications
FROM ${{database}}.{NOTIFICATIONS}
WHERE {IN_RANGE}
GROUP BY harm_type
ORDER BY indexOf(['death', 'serious_harm', 'other'], harm_type)
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
SELECT formatDateTime(toStartOfMonth(notified_date), '%Y-%m') AS month,
       countIf(harm_type = 'death') AS death,
       countIf(harm_type = 'serious_harm') AS serious_harm,
       countIf(harm_type = 'other') AS other
FROM ${{database}}.{NOTIFICATIONS}
WHERE {IN_RANGE}
GROUP BY month
ORDER BY month
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
        description="For each month in the range, the notifications of that month and the eleven "
        "before it (a rolling year), so seasonal swings do not hide the trend.",
        sql=f"""
WITH monthly AS (
    SELECT toStartOfMonth(notified_date) AS month, count() AS n
    FROM ${{database}}.{NOTIFICATIONS}
    WHERE NOT is_withdrawn
      AND notified_date BETWEEN toStartOfMonth(toDate($__fromTime)) - INTERVAL 11 MONTH AND toDate($__toTime)
    GROUP BY month
),
months AS (
    SELECT addMonths(toStartOfMonth(toDate($__fromTime)) - INTERVAL 11 MONTH, number) AS month
    FROM numbers(toUInt32(dateDiff('month', toStartOfMonth(toDate($__fromTime)) - INTERVAL 11 MONTH,
                                   toStartOfMonth(toDate($__toTime))) + 1))
)
SELECT toDateTime(month, 'UTC') AS time, rolling_twelve_months
FROM (
    SELECT m.month AS month,
           sum(coalesce(monthly.n, 0)) OVER (ORDER BY m.month ROWS BETWEEN 11 PRECEDING AND CURRENT ROW)
               AS rolling_twelve_months
    FROM months AS m LEFT JOIN monthly ON monthly.month = m.month
)
WHERE month >= toStartOfMonth(toDate($__fromTime))
ORDER BY time
""",
    )


@panel
def change_on_a_year_earlier_stat() -> Panel:
    return Panel(
        title="Change on the same dates a year earlier",
        kind="stat",
        series=("pct_change",),
        unit="percent",
        width=8,
        figure="period_change",
        description="Notifications with a notified date in the range against the same dates one "
        "year earlier: 100 × (current − previous) / previous, one decimal, halves away from zero.",
        sql=f"""
SELECT current, previous,
       if(previous = 0, NULL,
          toFloat64(round(toDecimal64(100 * (current - previous) / previous, 6), 1))) AS pct_change
FROM (
    SELECT countIf(notified_date BETWEEN toDate($__fromTime) AND toDate($__toTime)) AS current,
           countIf(notified_date BETWEEN toDate($__fromTime) - INTERVAL 1 YEAR
                                     AND toDate($__toTime) - INTERVAL 1 YEAR) AS previous
    FROM ${{database}}.{NOTIFICATIONS}
    WHERE NOT is_withdrawn
)
""",
    )
