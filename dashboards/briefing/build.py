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
                    now: dt.datetime | None = None) -> str:
    sections = collect(client, database, quarter)
    by_key = {r.panel.key: r for _, rs in sections for r in rs}
    as_of = as_of_of(client, database)
    now = now or dt.datetime.now(dt.UTC)
    return page(
        title=f"Quarterly learning briefing: {quarter}",
        subtitle=f"Serious incidents notified to the Child Safeguarding Practice Review Panel: "
                 f"{quarter.months()}, the year to date, and the year {quarter.year} as known so far.",
        as_of=dt.date.fromisoformat(as_of).strftime("%-d %B %Y") if as_of else "the latest warehouse build",
        key_points=key_points(by_key, quarter),
        sections=[Section(s.title, s.intro, tuple(rs)) for s, rs in sections],
        sources=SOURCES,
        threshold=threshold,
        generated_at=now.strftime("%-d %B %Y %H:%M UTC"),
    )


def write_atomically(path: Path, text: str) -> None:
    """Whole file or nothing: a failed run never leaves half a briefing behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
