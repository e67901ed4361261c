"""Vintages: the whole set of published figures as known at a date T, side by side.

One database per vintage, beside the raw store's database ``DB`` (``cspr``):

    DB_latest       as known now (T = today, UTC), rebuilt by the scheduled build
    DB_v20201231    as known at the end of 31 December 2020

Why one database per vintage rather than ``as_of`` in every mart's grain: building one vintage
then cannot change another by construction (it writes only its own database), a failed build
is thrown away whole, the marts' SQL and grain stay as they are (and every reader's query with
them), and adding a vintage folds the cases once, for that vintage only.

A build is made aside and swapped in only when every model and test passed:

1. dbt builds every model and runs every test into ``DB_<name>__build`` with ``as_of`` = T and
   its sources on ``DB`` (``CSPR_RAW_DATABASE``). For a vintage that exists, its incremental
   fold table is copied in first, so a rebuild of the same T folds only the cases with new events.
2. The build's views are dropped (staging views and ``int_cases_folded_as_at`` name the build
   database; readers read the marts, which are tables), then ``RENAME DATABASE`` moves the
   vintage aside and the build in, and the old one is dropped.
3. The catalogue ``DB.vintages`` gets one row per attempt: name, as_of, status (``ok`` or
   ``failed``), when, the events the vintage knows, how long it took, and why it failed.

A failed build leaves every vintage as it was. A reader reads a vintage only when its latest
attempt succeeded: a vintage whose rebuild failed is refused, not shown stale.

Kept by default (``default_dates``): every quarter end from the first event's quarter to the last
one before today, each year's report date (31 March after the year), and ``latest``.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.settings import Settings
from infra.warehouse.raw_store import check_database_name
from schemas.errors import CsprError

log = logging.getLogger(__name__)

LATEST = "latest"
CATALOGUE = "vintages"
FOLD_TABLE = "int_case_states_as_at"  # the incremental table a rebuild of the same T continues


class VintageError(CsprError):
    """A vintage is missing, failed, or could not be built."""


@dataclass(frozen=True)
class Vintage:
    name: str           # 'latest' or 'v20201231'
    database: str       # the database its marts are in
    as_of: dt.date      # T
    status: str         # 'ok' or 'failed' (its latest attempt)
    built_at: dt.datetime
    events: int         # events known at T
    message: str = ""

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "database": self.database, "as_of": self.as_of.isoformat(),
                "status": self.status, "built_at": self.built_at.isoformat(), "events": self.events}


def name_for(as_of: dt.date | None) -> str:
    """``latest`` for None (as known now), ``v20201231`` for a date."""
    return LATEST if as_of is None else f"v{as_of:%Y%m%d}"


def database_for(database: str, name: str) -> str:
    return check_database_name(f"{check_database_name(database)}_{name}")


def parse_as_of(text: str) -> dt.date | None:
    """``latest`` (None) or a date YYYY-MM-DD."""
    if text.strip().lower() == LATEST:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise VintageError(f"an as-of date must be YYYY-MM-DD or 'latest', got {text!r}") from None


def ensure_catalogue(client: Any, database: str) -> None:
    db = check_database_name(database)
    client.command(
        f"CREATE TABLE IF NOT EXISTS {db}.{CATALOGUE} ("
        " name String, as_of Date, database String, status LowCardinality(String),"
        " built_at DateTime64(6, 'UTC'), events UInt64, took_s Float64, message String"
        ") ENGINE = MergeTree ORDER BY (name, built_at)"
    )


def _exists_database(client: Any, name: str) -> bool:
    return bool(int(client.command(f"EXISTS DATABASE {name}")))


def _exists_table(client: Any, database: str, table: str) -> bool:
    return bool(int(client.command(f"EXISTS TABLE {database}.{table}")))


def catalogue(client: Any, database: str) -> list[Vintage]:
    """Every vintage's latest attempt, by as_of (latest last)."""
    db = check_database_name(database)
    if not _exists_table(client, db, CATALOGUE):
        return []
    rows = client.query(
        f"SELECT name, argMax(database, built_at), argMax(as_of, built_at), argMax(status, built_at),"
        f" max(built_at), argMax(events, built_at), argMax(message, built_at)"
        f" FROM {db}.{CATALOGUE} GROUP BY name ORDER BY name = '{LATEST}', 3"
    ).result_rows
    return [Vintage(r[0], r[1], r[2], r[3], r[4], int(r[5]), r[6]) for r in rows]


def find(client: Any, database: str, name: str) -> Vintage | None:
    return next((v for v in catalogue(client, database) if v.name == name), None)


def last_ok(client: Any, database: str, name: str) -> Vintage | None:
    """The latest successful build of vintage ``name`` (the one its database holds), if any."""
    db = check_database_name(database)
    if not _exists_table(client, db, CATALOGUE):
        return None
    rows = client.query(
        f"SELECT name, database, as_of, status, built_at, events, message FROM {db}.{CATALOGUE}"
        " WHERE name = {name:String} AND status = 'ok' ORDER BY built_at DESC LIMIT 1",
        parameters={"name": name}).result_rows
    if not rows:
        return None
    found, vintage_db, as_of, status, built_at, events, message = rows[0]
    return Vintage(found, vintage_db, as_of, status, built_at, int(events), message)


def readable(client: Any, database: str, as_of: dt.date | None, *, strict: bool = False) -> Vintage:
    """The vintage to read for ``as_of`` (None: latest), or VintageError saying why there is none.

    A vintage whose latest build failed after an earlier one succeeded: the earlier build is
    still in its database, unchanged; it is returned (its ``message`` says a later build failed)
    unless ``strict`` (the briefing), which refuses it."""
    name = name_for(as_of)
    attempt = find(client, database, name)
    good = last_ok(client, database, name)
    when = "as known now" if as_of is None else f"as known at {as_of:%-d %B %Y}"
    build = ("safeguarding report vintages --build " + ("latest" if as_of is None else as_of.isoformat()))
    failed = attempt is not None and attempt.status != "ok"
    why = (f" ({attempt.built_at:%Y-%m-%d %H:%M} UTC: {attempt.message.splitlines()[0] if attempt.message else '?'})"
           if failed and attempt is not None else "")
    if good is None or not _exists_database(client, database_for(database, name)):
        if failed:
            raise VintageError(f"vintage {name} ({when}) failed at its last build{why}; fix it and run `{build}`")
        raise VintageError(f"vintage {name} ({when}) is not built; build it with `{build}`")
    if failed:
        if strict:
            raise VintageError(f"vintage {name} ({when}) failed at its last build{why}; the build of "
                               f"{good.built_at:%Y-%m-%d %H:%M} UTC is not shown as current; fix it and run `{build}`")
        from dataclasses import replace

        return replace(good, message=f"a later build failed{why}")
    return good


def build(client: Any, settings: Settings, database: str, as_of: dt.date | None,
          data_dir: Path | str | None = None, today: dt.date | None = None,
          extra_vars: dict[str, Any] | None = None) -> Vintage:
    """Build vintage ``as_of`` (None: latest, as known today) aside, swap it in when every model and
    test passed, and record the attempt. VintageError when it failed (every vintage unchanged)."""
    from infra.warehouse.dbt_runner import run_dbt

    db = check_database_name(database)
    ensure_catalogue(client, db)
    name = name_for(as_of)
    t_date = as_of or today or dt.datetime.now(dt.UTC).date()
    target, aside, old = database_for(db, name), database_for(db, f"{name}__build"), database_for(db, f"{name}__old")
    started = time.perf_counter()
    client.command(f"DROP DATABASE IF EXISTS {aside} SYNC")
    client.command(f"DROP DATABASE IF EXISTS {old} SYNC")  # a swap interrupted half-way
    client.command(f"CREATE DATABASE {aside}")
    if _exists_table(client, target, FOLD_TABLE):
        # the fold of the cases so far, so a rebuild of the same T refolds only changed cases
        client.command(f"CREATE TABLE {aside}.{FOLD_TABLE} AS {target}.{FOLD_TABLE}")
        client.command(f"INSERT INTO {aside}.{FOLD_TABLE} SELECT * FROM {target}.{FOLD_TABLE}")
    variables = {"as_of": t_date.isoformat(), "suppression_threshold": settings.suppression_threshold,
                 **(extra_vars or {})}
    import json

    outcome = run_dbt(["build", "--vars", json.dumps(variables)], settings=settings, data_dir=data_dir,
                      database=aside, raw_database=db, quiet=True, log_to_stderr=True)
    events = int(client.query(
        f"SELECT countIf(time <= toDateTime64('{t_date.isoformat()} 23:59:59.999999', 6, 'UTC'))"
        f" FROM {db}.raw_events FINAL").result_rows[0][0])
    if not outcome.success:
        why = str(outcome.exception) if outcome.exception else _failures(outcome.result)
        client.command(f"DROP DATABASE IF EXISTS {aside} SYNC")
        _record(client, db, name, t_date, target, "failed", events, time.perf_counter() - started, why)
        raise VintageError(f"building vintage {name} (as known at {t_date}) failed: {why}; "
                           "every vintage built before is unchanged")
    for (view,) in client.query(
            "SELECT name FROM system.tables WHERE database = {db:String} AND engine = 'View'",
            parameters={"db": aside}).result_rows:
        client.command(f"DROP VIEW {aside}.`{view}`")
    if _exists_database(client, target):
        client.command(f"RENAME DATABASE {target} TO {old}")
        client.command(f"RENAME DATABASE {aside} TO {target}")
        client.command(f"DROP DATABASE {old} SYNC")
    else:
        client.command(f"RENAME DATABASE {aside} TO {target}")
    took = time.perf_counter() - started
    _record(client, db, name, t_date, target, "ok", events, took, "")
    _rebuild_revisions(client, db)
    log.info("vintage %s (as known at %s) built in %.1f s: %d events", name, t_date, took, events)
    v = find(client, db, name)
    assert v is not None
    return v


def _rebuild_revisions(client: Any, db: str) -> None:
    from infra.warehouse import revisions

    try:
        revisions.rebuild(client, db, [v for v in (last_ok(client, db, c.name) for c in catalogue(client, db)) if v])
    except Exception as exc:  # the vintage is built and readable; the revisions mart says when it was not rebuilt
        log.error("the revisions mart was not rebuilt after a vintage build: %s", str(exc).splitlines()[0])


def _failures(result: Any) -> str:
    """The failed nodes of a dbt result, in one line: 'test stream_figures_match_the_marts (3 rows)'."""
    out = []
    for r in getattr(result, "results", None) or []:
        status = str(getattr(r, "status", ""))
        if status in ("error", "fail", "runtime error", "RunStatus.Error", "TestStatus.Fail", "TestStatus.Error"):
            node = getattr(r, "node", None)
            label = getattr(node, "name", "?")
            msg = (getattr(r, "message", None) or "").splitlines()
            out.append(f"{label} ({msg[0][:200] if msg else status})")
    return "; ".join(out) or "see the dbt log under <data-dir>/dbt/logs"


def _record(client: Any, db: str, name: str, as_of: dt.date, database: str, status: str, events: int,
            took_s: float, message: str) -> None:
    client.insert(f"{db}.{CATALOGUE}",
                  [[name, as_of, database, status, dt.datetime.now(dt.UTC), events, took_s, message[:2000]]],
                  column_names=["name", "as_of", "database", "status", "built_at", "events", "took_s", "message"])


def default_dates(first_event: dt.date | None, today: dt.date) -> list[dt.date]:
    """Every quarter end from the first event's quarter to the last one before today, and each
    year's report date (31 March after the year) from the first event's year, before today."""
    if first_event is None:
        return []
    out: set[dt.date] = set()
    y, q = first_event.year, (first_event.month - 1) // 3 + 1
    while True:
        end = _quarter_end(y, q)
        if end >= today:
            break
        out.add(end)
        y, q = (y + 1, 1) if q == 4 else (y, q + 1)
    for year in range(first_event.year, today.year):
        report = dt.date(year + 1, 3, 31)
        if report < today:
            out.add(report)
    return sorted(out)


def _quarter_end(year: int, q: int) -> dt.date:
    nxt = dt.date(year + 1, 1, 1) if q == 4 else dt.date(year, 3 * q + 1, 1)
    return nxt - dt.timedelta(days=1)


def first_event_date(client: Any, database: str) -> dt.date | None:
    db = check_database_name(database)
    rows = client.query(f"SELECT count(), min(time) FROM {db}.raw_events FINAL").result_rows
    return rows[0][1].date() if rows and rows[0][0] else None


def missing_defaults(client: Any, database: str, today: dt.date | None = None) -> list[dt.date]:
    """Default vintage dates with no successful build yet (latest not included)."""
    today = today or dt.datetime.now(dt.UTC).date()
    have = {v.as_of for v in catalogue(client, database) if v.status == "ok" and v.name != LATEST}
    return [d for d in default_dates(first_event_date(client, database), today) if d not in have]


def build_all(client: Any, settings: Settings, database: str, dates: Iterable[dt.date | None],
              data_dir: Path | str | None = None) -> list[Vintage | VintageError]:
    """Build each vintage in turn; a failure is returned in its place and the others still built."""
    out: list[Vintage | VintageError] = []
    for d in dates:
        try:
            out.append(build(client, settings, database, d, data_dir=data_dir))
        except VintageError as exc:
            log.error("%s", exc)
            out.append(exc)
    return out
