"""The live page's figures: every dashboard's panels, run against a vintage's marts for a quarter
(and the year to date), drawn with the briefing's templates.

The panels are the ones the Grafana dashboards are generated from (``Dashboard.specs``), in the
dashboards' order; the SQL is filled exactly as for the briefing (``briefing.data.run_panel``).
Only panels a viewer may see exist (``dashboards/marts.py``: national marts and the suppressed
``pub_*`` viewer tables), and the renderer applies primary suppression again on top
(``render.suppress``), so the page shows nobody more than the viewer tables do. The panels that
need a chosen local authority (``${local_authority}``: the Local area dashboard's) are drawn
only when one is picked (``authority_board``), and read the ``pub_*`` viewer tables only, as
Grafana's viewers do: each authority's count is the published cell, 'c' where suppressed.

Everything here is blocking ClickHouse work; the worker runs it on its one ClickHouse thread.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from dashboards import builders
from dashboards.briefing.data import Quarter, missing_marts, run_panel
from dashboards.briefing.render import Result, Section, figures
from dashboards.panel import Panel, fill
from dashboards.templating import render
from infra.warehouse.alerts import AUDIENCES, RULES, for_viewers
from schemas.local_authorities import LA_BY_CODE, LOCAL_AUTHORITIES

__all__ = ["Board", "Panels", "age_text", "alerts", "alerts_fragment", "authority_board", "boards", "collect", "describe", "figures",
           "fragment", "page", "panels", "periods", "render"]

QUARTERLY = "rpt_quarterly_learning"
FIRST_YEAR = 2018  # an authority's by-year panel: every year of the contract up to the quarter's


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


VIEWER_TABLE = re.compile(r"\$\{database\}\.(\w+)")


def authority_board() -> Board:
    """The panels of one chosen local authority (those reading ``${local_authority}``), each
    checked to read the suppressed ``pub_*`` viewer tables and nothing else: a per-authority
    number that is not a published cell never reaches the page."""
    found: list[Panel] = []
    title = description = ""
    for make in builders().values():
        board = make()
        mine = [p for p in board.specs if "${local_authority}" in p.sql]
        if mine:
            built = board.build()
            title, description = built.title or "", built.description or ""
            found += mine
    for p in found:
        tables = set(VIEWER_TABLE.findall(p.sql))
        if not tables or any(not t.startswith("pub_") for t in tables):
            raise ValueError(f"panel {p.key!r} reads {sorted(tables)}: an authority's panels read pub_* tables only")
    return Board(title, description, tuple(found))


def periods(client: Any, marts: str) -> list[Quarter]:
    """The quarters with at least one notification in the vintage, oldest first."""
    rows = client.query(f"SELECT year, quarter FROM {marts}.{QUARTERLY} WHERE notifications > 0 "
                        "ORDER BY year, quarter").result_rows
    return [Quarter(int(y), int(q)) for y, q in rows]


def collect(client: Any, marts: str, quarter: Quarter, authority: str | None = None) -> list[Section]:
    """Each board's panels run for ``quarter`` (the year to its end); panels whose marts the
    vintage lacks are left out (a mart a later dbt change adds). With ``authority`` (a code of
    ``schemas.local_authorities``), its own panels first: every year up to the quarter's."""
    out = []
    if authority is not None:
        la = LA_BY_CODE[authority]  # a KeyError here is a caller's bug: the view checks the code
        b = authority_board()
        have = [p for p in b.panels if not missing_marts(client, marts, [p])]
        out.append(Section(f"{la.name}: {b.title}", b.description,
                           tuple(_run_for_authority(client, marts, p, quarter, authority) for p in have)))
    for b in boards():
        have = [p for p in b.panels if not missing_marts(client, marts, [p])]
        results: list[Result] = [run_panel(client, marts, p, quarter) for p in have]
        out.append(Section(b.title, b.description, tuple(results)))
    return out


def _run_for_authority(client: Any, marts: str, p: Panel, quarter: Quarter, authority: str) -> Result:
    sql = fill(p.sql, database=marts, from_time=f"{FIRST_YEAR}-01-01 00:00:00", to_time=f"{quarter.end} 23:59:59",
               local_authority=authority)
    res = client.query(sql)
    return Result(p, tuple(res.column_names), tuple(tuple(r) for r in res.result_rows))


@dataclass(frozen=True)
class Panels:
    """The drawn panels of one vintage and quarter, and what they are of."""

    quarter: Quarter
    vintage: dict[str, Any]
    html: str
    values: dict[str, list[list[Any]]]  # panel key -> rows as shown (suppressed), for tests and scripts
    newest_event_time: str | None  # of the newest event the vintage includes
    authority: dict[str, str] | None = None  # the local authority picked ({"code", "name"}), if one was


def panels(client: Any, vintage: Any, quarter: Quarter, threshold: int, authority: str | None = None) -> Panels:
    """The page's panels of ``quarter`` from ``vintage`` (``infra.warehouse.vintages.Vintage``),
    with a local authority's own panels first when ``authority`` is given."""
    sections = figures(collect(client, vintage.database, quarter, authority), threshold)
    html = render("live/_panels.html.j2", sections=sections)
    values = {f.result.panel.key: [[_json(v) for v in row] for row in f.result.rows]
              for _, fs in sections for f in fs}
    picked = {"code": authority, "name": LA_BY_CODE[authority].name} if authority else None
    return Panels(quarter, describe(vintage), html, values, newest_event_time(client, vintage.database), picked)


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
         counters: dict[str, Any], refresh_s: float, problem: str | None = None,
         alert_states: dict[str, Any] | None = None, authority: str | None = None) -> str:
    """The whole live page: the period picker, what is shown and how old it is, the alerts, the
    stream's live counters, and the panels (``templates/live/page.html.j2``)."""
    years = sorted({q.year for q in choices} | ({quarter.year} if quarter else set()))
    return render("live/page.html.j2", title="Live figures: serious incident notifications", quarter=quarter,
                  years=years, quarters=choices, shown=shown, freshness=freshness, counters=counters,
                  refresh_ms=int(refresh_s * 1000), problem=problem, alerts=alerts(alert_states),
                  authorities=sorted(LOCAL_AUTHORITIES, key=lambda la: la.name), authority=authority)


STATE_WORDS = {"firing": "Firing", "ok": "OK", "error": "Not checked"}


def alerts(states: dict[str, Any] | None, now: dt.datetime | None = None) -> dict[str, Any]:
    """The alert rules as the page shows them to anyone, in plain words: from ``/status``'s
    ``alerts`` (``{"evaluated_at", "rules"}``: ``infra.warehouse.alerts.evaluate`` run by the
    worker with its heartbeat, each rule with ``since``), passed through ``for_viewers`` (no
    count per local authority or partner). Firing rules first; each says what is wrong, since
    when, and who is told.

    ``{"evaluated_at", "evaluated_age", "firing": n, "key", "rules": [{"uid", "title", "state",
    "state_text", "words", "since", "since_text", "audience", "details": [str], "withheld"}]}``;
    ``key`` changes when what the section says changes (the script redraws it then only)."""
    evaluated_at = (states or {}).get("evaluated_at")
    rules = for_viewers((states or {}).get("rules")) or []
    by_uid = {r.uid: r for r in RULES}
    now = now or dt.datetime.now(dt.UTC)
    out: list[dict[str, Any]] = []
    for rule in rules:
        spec = by_uid.get(rule["uid"])
        if spec is None:
            continue
        state = rule["state"] if rule["state"] in STATE_WORDS else "error"
        since = rule.get("since") if state != "ok" else None
        words = {"firing": spec.firing_text, "ok": spec.ok_text}.get(
            state, "This could not be checked just now (the figures it reads may not be built yet).")
        details = [_detail(i) for i in rule.get("firing", [])] if state == "firing" else []
        out.append({"uid": spec.uid, "title": spec.title, "state": state, "state_text": STATE_WORDS[state],
                    "words": words, "since": since, "since_text": _since_text(since, now),
                    "audience": AUDIENCES.get(spec.audience, spec.audience), "details": details,
                    "withheld": bool(rule.get("rows_withheld")) and state == "firing"})
    order = {"firing": 0, "error": 1, "ok": 2}
    out.sort(key=lambda r: order[r["state"]])
    key = ";".join(f"{r['uid']}={r['state']}@{r['since']}:{len(r['details'])}" for r in out)
    return {"evaluated_at": evaluated_at, "evaluated_age": _age(evaluated_at, now),
            "firing": sum(r["state"] == "firing" for r in out), "rules": out, "key": key}


def _detail(instance: dict[str, Any]) -> str:
    labels = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in instance["labels"].items())
    value = instance["value"]
    shown = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return f"{labels}: {shown}" if labels else shown


def _age(iso: str | None, now: dt.datetime) -> str | None:
    return age_text(dt.datetime.fromisoformat(iso), now) if iso else None


def _since_text(iso: str | None, now: dt.datetime) -> str | None:
    """'2026-11-30 07:50 UTC (12 min ago)'."""
    if not iso:
        return None
    at = dt.datetime.fromisoformat(iso)
    at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return f"{at.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC ({age_text(at, now)} ago)"


def alerts_fragment(alert_states: dict[str, Any] | None) -> str:
    """The alerts section alone, for the page's script."""
    return render("live/alerts_fragment.html.j2", alerts=alerts(alert_states))


def fragment(*, quarter: Quarter | None, shown: Panels | None, freshness: dict[str, Any],
             authority: str | None = None) -> str:
    """What the page's script swaps in: what is shown, and the panels."""
    return render("live/fragment.html.j2", quarter=quarter, shown=shown, freshness=freshness, authority=authority)


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
