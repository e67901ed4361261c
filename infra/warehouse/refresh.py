"""Fresh marts in production: the latest vintage refreshed in place every few seconds, between
full tested builds.

A full build of the latest vintage (``vintages.build``: every model and every dbt test, aside,
swapped in) takes too long to run every minute at national volume and above. Between two of
them, ``refresh_latest`` runs ``dbt run --selector viewers`` (models only, no tests) straight into
the latest vintage's database:

- only what someone looks at: the ``viewers`` selector (``dbt/selectors.yml``, generated from the
  dashboards' panels, the alert rules and the viewer tables' inputs by ``dashboards/selection.py``;
  ``dashboards check`` fails when it is stale) with every model they are built from. The marts
  nobody reads between full builds (the report's tables of death, maltreatment and non-fatal
  categories, which ``report figures`` prints) stay as the last full build left them, up to
  ``build_every`` old;
- no parse: the process keeps dbt's parsed project (``run_dbt(reuse_manifest=True)``), and each
  database has its own dbt target folder, so a full build (into ``latest__build``) does not make
  the next refresh re-parse the project;
- the case fold (``int_case_states_as_at``) is incremental: only cases with events since the
  last run are refolded, so the cost grows with what arrived, not with the history;
- every mart is a table that dbt-clickhouse builds beside the old one and swaps in with
  ``EXCHANGE TABLES``: a reader sees one mart's old or new table, never half of one;
- the viewer tables (``pub_*``) are published after the run by the disclosure-control step, as
  after every build (``run_dbt``).

Each refresh is for the same report date T as the vintage's last full build: a refresh never
moves T (``report figures`` checks rpt_build_info against the catalogue). When the date has
changed, or there is no latest vintage yet, the full build runs instead. The catalogue
(``DB.vintages``) records full builds only; a refresh shows in ``rpt_build_info.built_at`` (the
stale-marts alert) and its failures in the log and the exit status.

``run_schedule`` is the production loop (``safeguarding report refresh``, the compose ``dbt``
service): a refresh as soon as the raw store has something new (``changes``: checked every
``POLL_S``), and at least every ``refresh_every`` seconds (dates move on with no event: overdue
reviews, the stale-marts alert's clock); the full build (and any missing default vintage) every
``build_every`` seconds; one after the other, never two at once. An event stored just after a
refresh started is in the marts after at most two refreshes and one poll.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.settings import Settings
from infra.warehouse import vintages
from infra.warehouse.raw_store import check_database_name

log = logging.getLogger(__name__)

SELECTOR = "viewers"  # dbt/selectors.yml: the models viewers read, with their parents
SELECTOR_AFTER_STAGING = "viewers_after_staging"  # the same without the staging views
POLL_S = 1.0  # how often the schedule looks for new events
KEPT = 100  # refreshes run_schedule remembers (and returns)
# (latest vintage database, its full build's time) whose staging views a refresh has made: the
# full build's swap drops the views (they name the build's database), the first refresh remakes them
_staging_made: set[tuple[str, Any]] = set()


@dataclass(frozen=True)
class Refreshed:
    kind: str  # 'refresh' (models only, in place) or 'build' (the full tested build instead)
    as_of: dt.date
    took_s: float
    ok: bool
    message: str = ""
    viewer_s: float = 0.0  # of took_s: the disclosure-control step (the viewer tables)


def refresh_latest(client: Any, settings: Settings, database: str, data_dir: Path | str | None = None,
                   today: dt.date | None = None) -> Refreshed:
    """Refresh the latest vintage's marts in place (models only), or build it when it is missing
    or its date is not today's."""
    from infra.warehouse.dbt_runner import run_dbt

    db = check_database_name(database)
    today = today or dt.datetime.now(dt.UTC).date()
    started = time.perf_counter()
    good = vintages.last_ok(client, db, vintages.LATEST)
    target = vintages.database_for(db, vintages.LATEST)
    exists = bool(int(client.command(f"EXISTS DATABASE {target}")))
    if good is None or good.as_of != today or not exists:
        try:
            vintages.build(client, settings, db, None, data_dir=data_dir, today=today)
            return Refreshed("build", today, time.perf_counter() - started, True)
        except vintages.VintageError as exc:
            return Refreshed("build", today, time.perf_counter() - started, False, str(exc))
    variables = {"as_of": good.as_of.isoformat(), "suppression_threshold": settings.suppression_threshold}
    # The staging views read the raw store as it is now: made once after a full build (whose swap
    # drops the build's views), they need no re-run; a run is then the fold and the marts only.
    views = int(client.command(f"SELECT count() FROM system.tables WHERE database = '{target}'"
                               " AND name LIKE 'stg\\_%' AND engine = 'View'"))
    made = (target, good.built_at) in _staging_made and views > 0
    outcome = run_dbt(["run", "--vars", json.dumps(variables), "--selector", SELECTOR_AFTER_STAGING if made else SELECTOR],
                      settings=settings, data_dir=data_dir, database=target, raw_database=db, quiet=True,
                      log_to_stderr=True, reuse_manifest=True)
    took = time.perf_counter() - started
    if outcome.success:
        _staging_made.add((target, good.built_at))
    if not outcome.success:
        why = str(outcome.exception) if outcome.exception else "a model failed (see the dbt log)"
        log.error("refreshing the latest vintage failed after %.1f s: %s", took, why)
        return Refreshed("refresh", good.as_of, took, False, why)
    log.info("latest vintage refreshed in %.1f s", took)
    return Refreshed("refresh", good.as_of, took, True, viewer_s=outcome.viewer_s)


def changes(client: Any, database: str) -> tuple[Any, ...]:
    """What the marts are computed from, cheaply: it differs when anything was stored since (events,
    dead letters, the stream's snapshots). Counted without FINAL: a duplicate stored again only
    costs one refresh more."""
    db = check_database_name(database)
    row = client.query(
        f"SELECT (SELECT count() FROM {db}.raw_events), (SELECT max(ingested_at) FROM {db}.raw_events),"
        f" (SELECT count() FROM {db}.dead_letters), (SELECT count() FROM {db}.stream_figures)").result_rows[0]
    return tuple(row)


def _changes_or_none(client: Any, database: str) -> tuple[Any, ...] | None:
    try:
        return changes(client, database)
    except Exception as exc:  # the warehouse is away: the refresh at least every refresh_every s retries
        log.error("the raw store could not be read: %s", (str(exc).splitlines() or ["?"])[0])
        return None


def run_schedule(client: Any, settings: Settings, database: str, refresh_every: float, build_every: float,
                 data_dir: Path | str | None = None, defaults: bool = True,
                 stop: Callable[[], bool] = lambda: False, poll_s: float = POLL_S) -> list[Refreshed]:
    """Refresh when something new is stored (looked for every ``poll_s``) and at least every
    ``refresh_every`` s, build fully every ``build_every`` s (the first when the latest vintage's
    last full build is that old, or missing), until ``stop()``; returns what the last refreshes did
    (up to ``KEPT``). A failure is logged and tried again after ``refresh_every`` s, not at once
    (every vintage readable before still is)."""
    last_build = last_refresh = float("-inf")
    good = vintages.last_ok(client, database, vintages.LATEST)
    if good is not None:  # a restart soon after a full build does not build again at once
        built = good.built_at if good.built_at.tzinfo else good.built_at.replace(tzinfo=dt.UTC)
        last_build = time.monotonic() - (dt.datetime.now(dt.UTC) - built).total_seconds()
    seen: tuple[Any, ...] | None = None
    done_list: deque[Refreshed] = deque(maxlen=KEPT)
    retry_at = float("-inf")  # after a failure, no refresh before this
    while not stop():
        now = time.monotonic()
        if now - last_build >= build_every:
            seen = _changes_or_none(client, database)
            wanted: list[dt.date | None] = [*(vintages.missing_defaults(client, database) if defaults else []), None]
            for result in vintages.build_all(client, settings, database, wanted, data_dir=data_dir):
                if isinstance(result, vintages.VintageError):
                    log.error("%s; retrying at the next full build", result)
            last_build = last_refresh = now
            continue
        current = _changes_or_none(client, database)
        due = (current is not None and current != seen) or now - last_refresh >= refresh_every
        if due and now >= retry_at:
            done = refresh_latest(client, settings, database, data_dir=data_dir)
            done_list.append(done)
            last_refresh = now
            if done.ok:
                seen = current
            else:
                retry_at = now + refresh_every
                log.error("%s failed: %s; retrying in %g s", done.kind, (done.message.splitlines() or ["?"])[0],
                          refresh_every)
            continue
        time.sleep(poll_s)
    return list(done_list)


def describe(done: Refreshed) -> str:
    return json.dumps({"kind": done.kind, "as_of": done.as_of.isoformat(), "took_s": round(done.took_s, 2),
                       "viewer_tables_s": round(done.viewer_s, 2),
                       "ok": done.ok, "message": done.message.splitlines()[0] if done.message else ""})
