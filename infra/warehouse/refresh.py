"""Fresh marts in production: the latest vintage refreshed in place every few seconds, between
full tested builds.

A full build of the latest vintage (``vintages.build``: every model and every dbt test, aside,
swapped in) takes too long to run every minute at national volume and above. Between two of
them, ``refresh_latest`` runs ``dbt run`` (models only, no tests) straight into the latest
vintage's database:

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
service): a refresh every ``refresh_every`` seconds, the full build (and any missing default
vintage) every ``build_every`` seconds, one after the other, never two at once.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.settings import Settings
from infra.warehouse import vintages
from infra.warehouse.raw_store import check_database_name

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Refreshed:
    kind: str  # 'refresh' (models only, in place) or 'build' (the full tested build instead)
    as_of: dt.date
    took_s: float
    ok: bool
    message: str = ""


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
    select = ["--exclude", "staging"] if views >= _staging_models() else []
    outcome = run_dbt(["run", "--vars", json.dumps(variables), *select], settings=settings, data_dir=data_dir,
                      database=target, raw_database=db, quiet=True, log_to_stderr=True)
    took = time.perf_counter() - started
    if not outcome.success:
        why = str(outcome.exception) if outcome.exception else "a model failed (see the dbt log)"
        log.error("refreshing the latest vintage failed after %.1f s: %s", took, why)
        return Refreshed("refresh", good.as_of, took, False, why)
    log.info("latest vintage refreshed in %.1f s", took)
    return Refreshed("refresh", good.as_of, took, True)


def _staging_models() -> int:
    from infra.warehouse.dbt_runner import project_dir

    return len(list((project_dir() / "models" / "staging").glob("stg_*.sql")))


def run_schedule(client: Any, settings: Settings, database: str, refresh_every: float, build_every: float,
                 data_dir: Path | str | None = None, defaults: bool = True,
                 stop: Callable[[], bool] = lambda: False) -> None:
    """Refresh every ``refresh_every`` s and build fully every ``build_every`` s until ``stop()``;
    a failure is logged and the next round tries again (every vintage readable before still is)."""
    last_build = float("-inf")
    while not stop():
        round_started = time.monotonic()
        if round_started - last_build >= build_every:
            wanted: list[dt.date | None] = [*(vintages.missing_defaults(client, database) if defaults else []), None]
            for result in vintages.build_all(client, settings, database, wanted, data_dir=data_dir):
                if isinstance(result, vintages.VintageError):
                    log.error("%s; retrying at the next full build", result)
            last_build = round_started
        else:
            done = refresh_latest(client, settings, database, data_dir=data_dir)
            if not done.ok:
                log.error("%s failed: %s; retrying in %g s", done.kind, done.message.splitlines()[0], refresh_every)
        time.sleep(max(0.0, refresh_every - (time.monotonic() - round_started)))


def describe(done: Refreshed) -> str:
    return json.dumps({"kind": done.kind, "as_of": done.as_of.isoformat(), "took_s": round(done.took_s, 2),
                       "ok": done.ok, "message": done.message.splitlines()[0] if done.message else ""})
