"""The scheduled job of ``safeguarding up``: the ``latest`` vintage, then the latest briefing.

It spans two stages (the warehouse's vintages and the dashboards' briefing), so it lives in the
command layer; the worker runs it on its ClickHouse thread through ``streams.schedule``, which
knows only that it is a job (chDB allows one process per data folder, and the worker owns it).
``jobs()`` is what ``safeguarding worker --schedule-dbt`` hands to the stream stage.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from infra.settings import Settings
from streams.schedule import Jobs, after_build

log = logging.getLogger(__name__)


def latest_quarter(client: Any, database: str) -> str | None:
    """The quarter (``2020Q3``) of the latest event time in the raw store, None when it is empty."""
    rows = client.query(f"SELECT count(), max(time) FROM {database}.raw_events FINAL").result_rows
    if not rows or not rows[0][0]:
        return None
    latest = rows[0][1]
    return f"{latest.year}Q{(latest.month - 1) // 3 + 1}"


def build_once(conf: Settings, data_dir: Path | None, database: str, out_dir: Path) -> dict[str, Any]:
    """The ``latest`` vintage, then the briefing of the latest quarter with events as known now;
    blocking (run it on the ClickHouse thread), then the stream's ``after_build`` hooks (the live
    page). Returns what it did. A failed build raises (every vintage built before is unchanged) and
    no briefing is written."""
    from dashboards.briefing.build import render_briefing, write_atomically
    from dashboards.briefing.data import Quarter
    from infra.warehouse import vintages
    from infra.warehouse.client import get_client

    client = get_client(conf, data_dir)
    latest = vintages.build(client, conf, database, None, data_dir=data_dir)
    newest = newest_event(client, latest.database)
    quarter = latest_quarter(client, database)
    if quarter is not None:
        html = render_briefing(client, database, Quarter.parse(quarter), conf.suppression_threshold, vintage=latest)
        out_dir.mkdir(parents=True, exist_ok=True)
        write_atomically(out_dir / f"briefing-{quarter}.html", html)
        write_atomically(out_dir / "latest.html", html)
    for hook in after_build:
        try:
            hook(client, database, latest)
        except Exception as exc:  # a page that cannot be prepared must not fail the build
            log.error("after the build: %s", str(exc).splitlines()[0])
    return {"dbt": f"vintage {latest.name}", "quarter": quarter,
            "briefing": None if quarter is None else str(out_dir / "latest.html"),
            "vintage": latest.name, "built_at": latest.built_at.isoformat(), "events": latest.events, **newest}


def newest_event(client: Any, vintage_database: str) -> dict[str, str | None]:
    """The newest event a vintage includes: its event time and when it was stored
    (``rpt_event_freshness``, built with the vintage)."""
    rows = client.query(f"SELECT latest_event_time, latest_ingested_at FROM {vintage_database}.rpt_event_freshness"
                        ).result_rows
    if not rows:
        return {"newest_event_time": None, "newest_ingested_at": None}
    t, ingested = rows[0]
    return {"newest_event_time": t.isoformat() if t else None,
            "newest_ingested_at": ingested.isoformat() if ingested else None}


def build_one_default(conf: Settings, data_dir: Path | None, database: str) -> int:
    """Build the newest default vintage that is missing; returns how many are still missing
    (a failed one is logged and counted: the next round tries it again)."""
    from infra.warehouse import vintages
    from infra.warehouse.client import get_client

    client = get_client(conf, data_dir)
    missing = vintages.missing_defaults(client, database)
    if not missing:
        return 0
    try:
        vintages.build(client, conf, database, missing[-1], data_dir=data_dir)
    except vintages.VintageError as exc:
        log.error("%s", exc)
        return len(missing)
    return len(missing) - 1


def jobs() -> Jobs:
    return Jobs(build=build_once, build_one_default=build_one_default)
