"""The live page's figures: every dashboard's panels, run against a vintage's marts for a quarter
(and the year to date), drawn with the briefing's templates.

The panels are the ones the Grafana dashboards are generated from (``Dashboard.specs``), in the
dashboards' order; the SQL is filled exactly as for the briefing (``briefing.data.run_panel``).
Only panels a viewer may see exist (``dashboards/marts.py``: national marts and the suppressed
``pub_*`` viewer tables), and the renderer applies primary suppression again on top
(``render.suppress``), so the page shows nobody more than the viewer tables do. Panels that need
a chosen local authority (``${local_authority}``) are Grafana-only: the page has no such picker.

Everything here is blocking ClickHouse work; the worker runs it on its one ClickHouse thread.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from dashboards import builders
from dashboards.briefing.data import Quarter, missing_marts, run_panel
from dashboards.briefing.render import Result, Section, figures
from dashboards.panel import Panel
from dashboards.templating import render

__all__ = ["Board", "Panels", "age_text", "boards", "collect", "describe", "figures", "fragment", "page", "panels", "periods",
           "render"]

QUARTERLY = "rpt_quarterly_learning"


@dataclass(frozen=True)
class Board:
    """One dashboard as the page shows it: its title, description and panels."""

    title: str
    description: str
    panels: tuple[Panel, ...]


def boards() -> list[Board]:
    """Every generated dashboard's panels a page can draw without a local-authority choice."""
    out = []
    for make in builders().values():
        board = make()
        built = board.build()
        panels = tuple(p for p in board.specs if "${local_authority}" not in p.sql and p.kind != "text")
        if panels:
            out.append(Board(built.title or "", built.description or "", panels))
    return out


def periods(client: Any, marts: str) -> list[Quarter]:
    """The quarters with at least one notification in the vintage, oldest first."""
    rows = client.query(f"SELECT year, quarter FROM {marts}.{QUARTERLY} WHERE notifications > 0 "
                        "ORDER BY year, quarter").result_rows
    return [Quarter(int(y), int(q)) for y, q in rows]


def collect(client: Any, marts: str, quarter: Quarter) -> list[Section]:
    """Each board's panels run for ``quarter`` (the year to its end); panels whose marts the
    vintage lacks are left out (a mart a later dbt change adds)."""
    out = []
    for b in boards():
        have = [p for p in b.panels if not missing_marts(client, marts, [p])]
        results: list[Result] = [run_panel(client, marts, p, quarter) for p in have]
        out.append(Section(b.title, b.description, tuple(results)))
    return out


@dataclass(frozen=True)
class Panels:
    """The drawn panels of one vintage and quarter, and what they are of."""

    quarter: Quarter
    vintage: dict[str, Any]
    html: str
    values: dict[str, list[list[Any]]]  # panel key -> rows as shown (suppressed), for tests and scripts
    newest_event_time: str | None  # of the newest event the vintage includes


def panels(client: Any, vintage: Any, quarter: Quarter, threshold: int) -> Panels:
    """The page's panels of ``quarter`` from ``vintage`` (``infra.warehouse.vintages.Vintage``)."""
    sections = figures(collect(client, vintage.database, quarter), threshold)
    html = render("live/_panels.html.j2", sections=sections)
    values = {f.result.panel.key: [[_json(v) for v in row] for row in f.result.rows]
              for _, fs in sections for f in fs}
    return Panels(quarter, describe(vintage), html, values, newest_event_time(client, vintage.database))


def describe(vintage: Any) -> dict[str, Any]:
    """The vintage as the page names it; its build time always with its zone (UTC), so a browser
    in any zone reads it right."""
    out = dict(vintage.describe())
    built_at = vintage.built_at if vintage.built_at.tzinfo else vintage.built_at.replace(tzinfo=dt.UTC)
    out["built_at"] = built_at.isoformat()
    return out


def newest_event_time(client: Any, marts: str) -> str | None:
    rows = client.query(f"SELECT latest_event_time FROM {marts}.rpt_event_freshness").result_rows
    return rows[0][0].isoformat() if rows and rows[0][0] else None


def page(*, quarter: Quarter | None, choices: list[Quarter], shown: Panels | None, freshness: dict[str, Any],
         counters: dict[str, Any], refresh_s: float, problem: str | None = None) -> str:
    """The whole live page: the period picker, what is shown and how old it is, the stream's live
    counters, and the panels (``templates/live/page.html.j2``)."""
    years = sorted({q.year for q in choices} | ({quarter.year} if quarter else set()))
    return render("live/page.html.j2", title="Live figures: serious incident notifications", quarter=quarter,
                  years=years, quarters=choices, shown=shown, freshness=freshness, counters=counters,
                  refresh_ms=int(refresh_s * 1000), problem=problem)


def fragment(*, quarter: Quarter | None, shown: Panels | None, freshness: dict[str, Any]) -> str:
    """What the page's script swaps in: what is shown, and the panels."""
    return render("live/fragment.html.j2", quarter=quarter, shown=shown, freshness=freshness)


def age_text(built_at: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """'12 s', '5 min', '3 h' since ``built_at`` (as the page's script writes it)."""
    if built_at is None:
        return "?"
    if built_at.tzinfo is None:  # the vintage catalogue's DateTime64(6, 'UTC') reads back naive
        built_at = built_at.replace(tzinfo=dt.UTC)
    s = max(0, round(((now or dt.datetime.now(dt.UTC)) - built_at).total_seconds()))
    return f"{s} s" if s < 120 else f"{round(s / 60)} min" if s < 7200 else f"{round(s / 3600)} h"


def _json(v: Any) -> Any:
    if isinstance(v, dt.datetime | dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v
