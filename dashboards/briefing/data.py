"""Run the briefing's panels against the marts: the same SQL Grafana sends, with the
placeholders filled for the quarter."""

from __future__ import annotations

import re
from typing import Any

from dashboards.briefing.render import Result
from dashboards.panel import Panel, fill
from schemas.calendar import Quarter
from schemas.errors import CsprError


class BriefingError(CsprError):
    """The briefing cannot be made: a bad quarter, or marts the warehouse does not have."""


def missing_marts(client: Any, database: str, panels: list[Panel]) -> list[str]:
    """Marts the panels read that the database does not have (the warehouse was not built)."""
    wanted = sorted({t for p in panels for t in re.findall(r"\$\{database\}\.(\w+)", p.sql)})
    have = {r[0] for r in client.query(
        "SELECT name FROM system.tables WHERE database = {db:String}", parameters={"db": database}).result_rows}
    return [t for t in wanted if t not in have]


def run_panel(client: Any, database: str, p: Panel, quarter: Quarter) -> Result:
    """The panel's rows for the year to the end of the quarter (the marts' grain is the year)."""
    sql = fill(p.sql, database=database, from_time=f"{quarter.year_start} 00:00:00",
               to_time=f"{quarter.end} 23:59:59")
    try:
        res = client.query(sql)
    except Exception as exc:  # the driver's errors carry the server message; name the panel too
        raise BriefingError(f"panel {p.key!r} failed against {database}: {str(exc).splitlines()[0]}") from exc
    return Result(p, tuple(res.column_names), tuple(tuple(r) for r in res.result_rows))


def as_of_of(client: Any, database: str) -> str | None:
    """The report date T the marts were built as at (``rpt_build_info``), if recorded."""
    has = client.query(
        "SELECT count() FROM system.tables WHERE database = {db:String} AND name = 'rpt_build_info'",
        parameters={"db": database}).result_rows[0][0]
    if not has:
        return None
    rows = client.query(f"SELECT max(as_of) FROM {database}.rpt_build_info").result_rows
    return str(rows[0][0])[:10] if rows and rows[0][0] else None
