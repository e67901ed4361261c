"""Make the quarterly briefing: run every panel of ``contents.SECTIONS`` against the marts,
write the key points from the figures, draw the page, and write it atomically."""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path
from typing import Any

from dashboards.briefing.contents import SECTIONS
from dashboards.briefing.data import BriefingError, Quarter, as_of_of, missing_marts, run_panel
from dashboards.briefing.narrative import key_points
from dashboards.briefing.render import Result, Section, page
from dashboards.panel import Panel
from dashboards.reference import CENSUS_SOURCE

log = logging.getLogger(__name__)

SOURCES = (
    "Serious incident notifications and review milestones sent to the Child Safeguarding Practice "
    "Review Panel as events, rebuilt into the report tables by the platform's dbt marts.",
    f"Census comparison: {CENSUS_SOURCE}.",
)


def collect(client: Any, database: str, quarter: Quarter) -> list[tuple[Any, list[Result]]]:
    panels = [f() for s in SECTIONS for f in s.panels]
    missing = missing_marts(client, database, panels)
    if missing:
        raise BriefingError(f"the warehouse database {database!r} lacks the marts {', '.join(missing)}: "
                            "build them first (safeguarding dbt build)")
    out = []
    for s in SECTIONS:
        out.append((s, [run_panel(client, database, f(), quarter) for f in s.panels]))
        log.info("section %s: %d panels", s.title, len(s.panels))
    return out


def render_briefing(client: Any, database: str, quarter: Quarter, threshold: int,
                    now: dt.datetime | None = None, vintage: Any = None) -> str:
    """The briefing of ``quarter`` from ``vintage`` (an ``infra.warehouse.vintages.Vintage``: its
    marts as known at its date), with the revisions since the previous quarter's briefing.
    Without a vintage: the marts in ``database`` itself (a plain ``dbt build``)."""
    marts = vintage.database if vintage is not None else database
    sections = collect(client, marts, quarter)
    by_key = {r.panel.key: r for _, rs in sections for r in rs}
    as_of = vintage.as_of.isoformat() if vintage is not None else as_of_of(client, marts)
    now = now or dt.datetime.now(dt.UTC)
    shown = [Section(s.title, s.intro, tuple(rs)) for s, rs in sections]
    points = key_points(by_key, quarter)
    if vintage is not None:
        section, sentence = revisions_section(client, database, quarter, vintage)
        shown.insert(1, section)
        points.append(sentence)
    when = dt.date.fromisoformat(as_of).strftime("%-d %B %Y") if as_of else "the latest warehouse build"
    return page(
        learning=learning_of(client, marts, quarter),
        title=f"Quarterly learning briefing: {quarter}",
        subtitle=f"Serious incidents notified to the Child Safeguarding Practice Review Panel: "
                 f"{quarter.months()}, the year to date, and the year {quarter.year} as known at {when}.",
        as_of=when + (f" (vintage {vintage.name}, built {vintage.built_at:%-d %B %Y %H:%M} UTC)" if vintage else ""),
        key_points=points,
        sections=shown,
        sources=SOURCES,
        threshold=threshold,
        generated_at=now.strftime("%-d %B %Y %H:%M UTC"),
    )


def learning_of(client: Any, marts: str, quarter: Quarter) -> Any:
    """What reviews found in the quarter (``dashboards.briefing.learning``), from the viewer table
    ``pub_learning``; None for marts published before it existed (the section is left out)."""
    from dashboards.briefing.learning import learning_section
    from dashboards.marts import LEARNING

    if not int(client.command(f"EXISTS TABLE {marts}.{LEARNING}")):
        return None
    return learning_section(client, marts, quarter.year, quarter.q)


def previous_quarter(quarter: Quarter) -> Quarter:
    return Quarter(quarter.year - 1, 4) if quarter.q == 1 else Quarter(quarter.year, quarter.q - 1)


def revisions_section(client: Any, database: str, quarter: Quarter, vintage: Any) -> tuple[Section, str]:
    """What changed since the previous quarter's briefing: notifications by quarter and harm type
    in the previous quarter's vintage (as known at its end) against this one, from the revisions
    mart (late notifications, corrections and withdrawals known since)."""
    from infra.warehouse import revisions, vintages

    prev = previous_quarter(quarter)
    prev_name = vintages.name_for(prev.end)
    title = "Revisions since the previous briefing"
    panel = Panel(title="Notifications revised since the previous briefing", kind="table", sql="", x="period",
                  description=f"Notifications by quarter notified and harm type as published in the {prev} "
                              f"briefing (as known at {prev.end:%-d %B %Y}) and as known now.",
                  key="revisions_since_previous_table")
    previous = vintages.find(client, database, prev_name)
    if previous is None or previous.status != "ok":
        sentence = (f"The {prev} briefing's figures (as known at {prev.end:%-d %B %Y}) are not built, so its "
                    "revisions are not shown.")
        return Section(title, sentence, (Result(panel, ("period", "harm_type", "published", "now", "change"), ()),)),             sentence
    rows = revisions.changes_between(client, database, prev_name, vintage.name, period_prefix="")
    rows = [r for r in rows if r[0] <= f"{prev.year}Q{prev.q}"]  # the quarters that briefing covered
    shown = tuple((p, d, _int(a), _int(b), _int(c)) for p, d, a, b, c in rows)
    result = Result(panel, ("period", "harm_type", "published", "now", "change"), shown)
    total = [r for r in shown if r[1] == "total"]
    if not total:
        sentence = f"No notification figure published in the {prev} briefing has been revised since."
    else:
        net = sum(r[4] for r in total)
        sentence = (f"Since the {prev} briefing, late notifications, corrections and withdrawals revised the "
                    f"notifications of {len(total)} earlier quarter{'s' if len(total) != 1 else ''} "
                    f"(net {net:+,}).")
    intro = (f"Figures published in the {prev} briefing, as known at {prev.end:%-d %B %Y}, beside the same "
             f"figures as known at {vintage.as_of:%-d %B %Y}; only those that changed.")
    return Section(title, intro, (result,)), sentence


def _int(v: Any) -> Any:
    return int(v) if isinstance(v, float) and v.is_integer() else v


def write_atomically(path: Path, text: str) -> None:
    """Whole file or nothing: a failed run never leaves half a briefing behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
