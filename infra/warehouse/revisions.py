"""The revisions mart, ``<DB>_revisions.rpt_revisions``: each headline figure in every vintage.

Grain: one row per figure x period x dimension x vintage (every vintage whose latest build
succeeded). Figures:

    notifications        period 2020Q3   dimension total | death | serious_harm | other  (rpt_quarterly_learning)
    period_change        period 2020     dimension current | previous | pct_change       (rpt_period_change)
    timeliness_received / timeliness_not_received   period 2020   dimension <period>|<bucket>  (rpt_rapid_review_timeliness)
    lcspr_decisions      period 2020     dimension the decision                          (rpt_lcspr_decisions)

Columns: the vintage's value; ``first_published`` (the value in the earliest vintage as known at or
after the period's end: the quarter's end, 30 September for the April-September change, the
year's end otherwise) and when; ``latest_value`` (the value as known now: the ``latest``
vintage, else the newest); ``revision`` = latest_value - first_published; and the value of the
vintage before (``previous_value``). Official statistics publish their revisions; so does this.

Why not a dbt model: the vintages are databases that come and go, and dbt builds one as_of at a
time into one database. This is one SQL statement over the vintages' marts (the figures are
cells of those marts; nothing is computed in Python), rebuilt aside and swapped in after every
vintage build, like a vintage.
"""

from __future__ import annotations

from typing import Any

from infra.warehouse.raw_store import check_database_name

TABLE = "rpt_revisions"

_ROWS = """
SELECT 'notifications' AS figure, concat(toString(year), 'Q', toString(quarter)) AS period, dimension,
       toNullable(toFloat64(value)) AS value, toLastDayOfMonth(quarter_start + INTERVAL 2 MONTH) AS period_end
FROM {db}.rpt_quarterly_learning
ARRAY JOIN ['total', 'death', 'serious_harm', 'other'] AS dimension,
           [notifications, notifications_death, notifications_serious_harm, notifications_other] AS value
UNION ALL
SELECT 'period_change', toString(year), dimension, value, makeDate(year, 9, 30)
FROM {db}.rpt_period_change
ARRAY JOIN ['current', 'previous', 'pct_change'] AS dimension,
           [toNullable(toFloat64(current)), toNullable(toFloat64(previous)), toNullable(toFloat64(pct_change))] AS value
UNION ALL
SELECT 'timeliness_received', toString(year), concat(period, '|', bucket), toNullable(toFloat64(received)),
       makeDate(year, 12, 31)
FROM {db}.rpt_rapid_review_timeliness
UNION ALL
SELECT 'timeliness_not_received', toString(year), concat(period, '|', bucket), toNullable(toFloat64(not_received)),
       makeDate(year, 12, 31)
FROM {db}.rpt_rapid_review_timeliness
UNION ALL
SELECT 'lcspr_decisions', toString(year), decision, toNullable(toFloat64(notifications)), makeDate(year, 12, 31)
FROM {db}.rpt_lcspr_decisions
"""


def database_for(database: str) -> str:
    return check_database_name(f"{check_database_name(database)}_revisions")


def rebuild(client: Any, database: str, vintages: list[Any]) -> str:
    """Rebuild the revisions mart over these vintages (``Vintage`` records, status ok); returns
    its database. Built in ``<table>__build`` and exchanged in one statement."""
    target = database_for(database)
    client.command(f"CREATE DATABASE IF NOT EXISTS {target}")
    ok = [v for v in vintages if v.status == "ok"]
    parts = [
        f"SELECT '{v.name}' AS vintage, toDate('{v.as_of.isoformat()}') AS as_of, "
        f"toUInt8({int(v.name == 'latest')}) AS is_latest, * FROM ({_ROWS.format(db=check_database_name(v.database))})"
        for v in ok
    ]
    if not parts:
        client.command(f"DROP TABLE IF EXISTS {target}.{TABLE}")
        return target
    rows = "\nUNION ALL\n".join(parts)
    aside = f"{target}.{TABLE}__build"
    client.command(f"DROP TABLE IF EXISTS {aside}")
    client.command(f"""
CREATE TABLE {aside} ENGINE = MergeTree ORDER BY (figure, period, dimension, is_latest, as_of) AS
WITH _v AS ({rows}),
keyed AS (
    SELECT figure, period, dimension,
           argMinIf(value, as_of, as_of >= period_end) AS first_published,
           if(countIf(as_of >= period_end) = 0, NULL, minIf(as_of, as_of >= period_end)) AS first_published_as_of,
           argMax(value, (is_latest, as_of)) AS latest_value,
           argMax(vintage, (is_latest, as_of)) AS latest_vintage
    FROM _v GROUP BY figure, period, dimension
)
SELECT _v.figure AS figure, _v.period AS period, _v.dimension AS dimension, _v.vintage AS vintage,
       _v.as_of AS as_of, _v.is_latest AS is_latest, _v.value AS value,
       lagInFrame(_v.value) OVER (PARTITION BY _v.figure, _v.period, _v.dimension ORDER BY _v.is_latest, _v.as_of
                                ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS previous_value,
       if(_k.first_published_as_of IS NULL, NULL, _k.first_published) AS first_published,
       _k.first_published_as_of AS first_published_as_of,
       _k.latest_value AS latest_value, _k.latest_vintage AS latest_vintage,
       if(_k.first_published_as_of IS NULL, NULL, _k.latest_value - _k.first_published) AS revision
FROM _v INNER JOIN keyed AS _k ON _k.figure = _v.figure AND _k.period = _v.period AND _k.dimension = _v.dimension
""")
    if int(client.command(f"EXISTS TABLE {target}.{TABLE}")):
        client.command(f"EXCHANGE TABLES {aside} AND {target}.{TABLE}")
        client.command(f"DROP TABLE {aside}")
    else:
        client.command(f"RENAME TABLE {aside} TO {target}.{TABLE}")
    return target


def changes_between(client: Any, database: str, then: str, now: str, figure: str = "notifications",
                    period_prefix: str = "") -> list[tuple[Any, ...]]:
    """(period, dimension, value in vintage ``then``, value in ``now``, now - then) for every figure
    row whose value differs between the two vintages (both must be in the mart)."""
    db = database_for(database)
    return list(client.query(
        f"SELECT _a.period, _a.dimension, _b.value AS then_value, _a.value AS now_value, _a.value - _b.value AS change"
        f" FROM {db}.{TABLE} AS _a INNER JOIN {db}.{TABLE} AS _b"
        f"   ON _b.figure = _a.figure AND _b.period = _a.period AND _b.dimension = _a.dimension"
        f" WHERE _a.figure = {{figure:String}} AND _a.vintage = {{now:String}} AND _b.vintage = {{then:String}}"
        f"   AND startsWith(_a.period, {{prefix:String}}) AND coalesce(_a.value = _b.value, _a.value IS NULL AND _b.value IS NULL) = 0"
        f" ORDER BY _a.period, _a.dimension",
        parameters={"figure": figure, "now": now, "then": then, "prefix": period_prefix}).result_rows)
