"""dbt and the latest briefing soon after new events, inside the worker process.

Why inside the worker: chDB allows one process per data folder (and one folder per process),
and the worker owns ``DIR/warehouse`` for as long as it streams. Another process cannot open the
warehouse then, and stopping or pausing the worker every few minutes would stall the stream
and race its sink. So ``safeguarding worker --schedule-dbt SECONDS`` adds a Faust task that runs
the jobs the command gives it (``use()``; they are ``infra.stack.schedule``'s, since they span
the warehouse and the dashboards, which this stage does not import):

1. builds the ``latest`` vintage (``infra.warehouse.vintages``: dbt in-process, every model and
   test, aside, swapped in when it passed; its case fold continues incrementally);
2. renders the quarterly briefing of the quarter of the latest event time in the raw store, as
   known now (the ``latest`` vintage), into ``DIR/briefings/latest.html`` (and
   ``briefing-<YYYYQn>.html``), written atomically. Never the machine clock's quarter;
3. calls every ``after_build`` hook (the live page reads the new vintage's panels there).

When: once at start (a raw store with events gets a vintage and a briefing at once, not minutes
later), then after new events were written, debounced: when the sink has written nothing for
``QUIET_S`` seconds, or, while events keep coming, when the first event not yet built has waited
SECONDS. One build at a time (the task runs them one after the other), so an event written while
a build runs is in the next one: an acknowledged event is in the marts within about one quiet
gap plus two builds (measured in tests/infra/stack/test_live_page.py).

When nothing new was written for a few rounds, it builds one missing default vintage (a quarter
end or report date since the first event), newest first, until none is missing: a long
history's past vintages arrive over quiet rounds without holding up the stream.

Both run on the sink's own ClickHouse thread (``Writer.run_blocking``, one thread): every call
to chDB in the process stays on that one thread, in order, so dbt never runs while a sink insert
is half done. While a build runs the sink's inserts queue behind it; Kafka offsets are committed
only after the inserts, so nothing is lost, the stream just catches up afterwards. A failed build
is logged and reported at ``/schedule``; it is tried again at the next round.
``/schedule`` reports the builds done, the last outcome, the vintage's build time and the newest
event it includes, and where the briefing is.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.settings import Settings

log = logging.getLogger(__name__)

QUIET_S = 2.0  # the stream has written nothing for this long: build now
POLL_S = 0.25
# A past vintage's build cannot be interrupted (a minute or more here): one is started only after
# a minute with nothing new, so an event that arrives while people watch is not kept waiting.
QUIET_ROUNDS_FOR_DEFAULTS = int(60 / POLL_S)

state: dict[str, Any] = {
    "every_s": None, "quiet_s": QUIET_S, "builds": 0, "failures": 0, "running": False, "last_started": None,
    "last_finished": None, "last_ok": None, "last_error": None, "last_took_s": None,
    "briefing": None, "quarter": None, "defaults_missing": None,
    "vintage": None, "built_at": None, "events": None, "newest_event_time": None, "newest_ingested_at": None,
}

# Called on the ClickHouse thread after each successful build with (client, database, vintage)
# (by the job: ``infra.stack.schedule.build_once``).
after_build: list[Callable[[Any, str, Any], None]] = []


@dataclass(frozen=True)
class Jobs:
    """What the schedule runs, given by the command that starts the worker (``infra.stack.schedule``):
    ``build(conf, data_dir, database, briefings_dir) -> dict`` (what it did, shown at ``/schedule``)
    and ``build_one_default(conf, data_dir, database) -> int`` (past vintages still missing)."""

    build: Callable[[Settings, Path | None, str, Path], dict[str, Any]]
    build_one_default: Callable[[Settings, Path | None, str], int]


_jobs: list[Jobs] = []


def use(jobs: Jobs) -> None:
    """Give the schedule its jobs (before ``enable``)."""
    _jobs[:] = [jobs]


def age(now: dt.datetime | None = None) -> dict[str, Any]:
    """How old the latest vintage's figures are, for ``/status`` and the live page."""
    built_at = state["built_at"]
    now = now or dt.datetime.now(dt.UTC)
    when = None if built_at is None else dt.datetime.fromisoformat(built_at)
    if when is not None and when.tzinfo is None:  # the catalogue's DateTime64(6, 'UTC') reads back naive
        when = when.replace(tzinfo=dt.UTC)
    return {"vintage": state["vintage"], "built_at": built_at, "events": state["events"],
            "newest_event_time": state["newest_event_time"], "newest_ingested_at": state["newest_ingested_at"],
            "age_s": None if when is None else round((now - when).total_seconds(), 1),
            "building": state["running"], "last_error": state["last_error"]}


def _has_events(conf: Settings, data_dir: Path | None, database: str) -> bool:
    from infra.warehouse.client import get_client

    client = get_client(conf, data_dir)
    if not int(client.command(f"EXISTS TABLE {database}.raw_events")):
        return False  # a new folder: the sink creates the store with its first write
    return bool(client.query(f"SELECT count() FROM {database}.raw_events").result_rows[0][0])


def _written() -> int:
    from streams import stats

    return stats.counts["sunk_events"] + stats.counts["sunk_dead_letters"]


def enable(conf: Settings, every_s: float, data_dir: Path | None, database: str | None,
           briefings_dir: Path) -> None:
    """Attach the scheduled build task and the ``/schedule`` page to the app (before it starts)."""
    from faust.web import Request, Response, View

    from streams.app import app
    from streams.sink.agents import sink

    if every_s <= 0:
        raise ValueError(f"the dbt schedule needs a positive longest wait, got {every_s!r}")
    if not _jobs:
        raise RuntimeError("the dbt schedule has no jobs: the command starting the worker gives them (use())")
    jobs = _jobs[0]
    db = database or conf.clickhouse_database
    state["every_s"] = every_s

    async def run(fn: Callable[..., Any], *args: Any) -> Any:
        assert sink.writer is not None, "the worker sets the writer before it starts"
        return await sink.writer.run_blocking(fn, *args)

    async def build_latest() -> bool:
        state.update(running=True, last_started=dt.datetime.now(dt.UTC).isoformat())
        started = time.monotonic()
        try:
            done = await run(jobs.build, conf, data_dir, db, briefings_dir)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a failed build must not stop the stream; the next round retries
            log.error("scheduled dbt build failed: %s", exc)
            state.update(failures=state["failures"] + 1, last_ok=False, last_error=str(exc)[:2000])
            return False
        else:
            state.update(builds=state["builds"] + 1, last_ok=True, last_error=None, **done)
            log.warning("scheduled build: dbt %s, briefing %s (%.1f s)", done["dbt"], done["briefing"],
                        time.monotonic() - started)
            return True
        finally:
            state.update(running=False, last_finished=dt.datetime.now(dt.UTC).isoformat(),
                         last_took_s=round(time.monotonic() - started, 2))

    @app.task
    async def scheduled_builds() -> None:
        while sink.writer is None:
            await asyncio.sleep(POLL_S)
        # at start: a store that has events gets its vintage now (the page and latest.html with it)
        try:
            has_events = await run(_has_events, conf, data_dir, db)
        except Exception as exc:  # the warehouse is away: the sink waits for it, the rounds below retry
            log.error("the warehouse could not be read at start: %s", str(exc).splitlines()[0])
            has_events = True
        built_at_written = -1
        if has_events and await build_latest():
            built_at_written = 0
        changed_at = first_unbuilt_at = time.monotonic()
        seen = _written()
        defaults_missing, quiet_rounds = 1, 0
        while True:
            await asyncio.sleep(POLL_S)
            written, now = _written(), time.monotonic()
            if written != seen:
                if seen == built_at_written:
                    first_unbuilt_at = now
                seen, changed_at = written, now
            if written > 0 and written != built_at_written:
                quiet_rounds = 0
                if now - changed_at >= QUIET_S or now - first_unbuilt_at >= every_s:
                    if await build_latest():
                        built_at_written = written
                        defaults_missing = 1  # unknown until a quiet round counts them
                    else:
                        await asyncio.sleep(every_s)  # a failed build is tried again, not in a loop
                    first_unbuilt_at = time.monotonic()
                continue
            quiet_rounds += 1
            if defaults_missing and built_at_written >= 0 and quiet_rounds >= QUIET_ROUNDS_FOR_DEFAULTS:
                quiet_rounds = 0  # quiet: one past vintage per round
                state.update(running=True)
                try:
                    defaults_missing = await run(jobs.build_one_default, conf, data_dir, db)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # never stops the stream; tried again next round
                    log.error("scheduled vintage build failed: %s", str(exc).splitlines()[0])
                finally:
                    state.update(running=False, defaults_missing=defaults_missing)

    @app.page("/schedule")
    class ScheduleView(View):
        async def get(self, request: Request) -> Response:
            return self.json(state)
