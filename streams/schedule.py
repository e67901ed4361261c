"""dbt and the latest briefing on a schedule, inside the worker process.

Why inside the worker: chDB allows one process per data folder (and one folder per process),
and the worker owns ``DIR/warehouse`` for as long as it streams. Another process cannot open the
warehouse then, and stopping or pausing the worker every few minutes would stall the stream
and race its sink. So ``safeguarding worker --schedule-dbt SECONDS`` adds a Faust task that runs
the jobs the command gives it (``use()``; they are ``infra.stack.schedule``'s, since they span
the warehouse and the dashboards, which this stage does not import) every SECONDS when the sink
has written anything since the last build:

1. builds the ``latest`` vintage (``infra.warehouse.vintages``: dbt in-process, every model and
   test, aside, swapped in when it passed; its case fold continues incrementally);
2. renders the quarterly briefing of the quarter of the latest event time in the raw store, as
   known now (the ``latest`` vintage), into ``DIR/briefings/latest.html`` (and
   ``briefing-<YYYYQn>.html``), written atomically. Never the machine clock's quarter.

Every SECONDS when nothing new was written, it builds one missing default vintage (a quarter
end or report date since the first event), newest first, until none is missing: a long
history's past vintages arrive over a few quiet rounds without holding up the stream.

Both run on the sink's own ClickHouse thread (``Writer.run_blocking``, one thread): every call
to chDB in the process stays on that one thread, in order, so dbt never runs while a sink insert
is half done. While a build runs the sink's inserts queue behind it; Kafka offsets are committed
only after the inserts, so nothing is lost, the stream just catches up afterwards. A failed build
is logged and reported at ``/schedule``; the next one is tried at the next interval.
``/schedule`` reports the builds done, the last outcome, and where the briefing is.
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

state: dict[str, Any] = {
    "every_s": None, "builds": 0, "failures": 0, "running": False, "last_started": None,
    "last_finished": None, "last_ok": None, "last_error": None, "last_took_s": None,
    "briefing": None, "quarter": None, "defaults_missing": None,
}


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
        raise ValueError(f"the dbt schedule needs a positive interval, got {every_s!r}")
    if not _jobs:
        raise RuntimeError("the dbt schedule has no jobs: the command starting the worker gives them (use())")
    jobs = _jobs[0]
    db = database or conf.clickhouse_database
    state["every_s"] = every_s

    @app.task
    async def scheduled_builds() -> None:
        built_at_written = -1
        defaults_missing = 0
        while True:
            await asyncio.sleep(every_s)
            written = _written()
            if written == 0:
                continue
            assert sink.writer is not None, "the worker sets the writer before it starts"
            if written == built_at_written:
                if defaults_missing and built_at_written >= 0:  # quiet: one past vintage per round
                    state.update(running=True)
                    try:
                        defaults_missing = await sink.writer.run_blocking(jobs.build_one_default,
                                                                          conf, data_dir, db)
                    except asyncio.CancelledError:
                        raise
                    except Exception as exc:  # never stops the stream; tried again next round
                        log.error("scheduled vintage build failed: %s", str(exc).splitlines()[0])
                    finally:
                        state.update(running=False, defaults_missing=defaults_missing)
                continue
            state.update(running=True, last_started=dt.datetime.now(dt.UTC).isoformat())
            started = time.monotonic()
            try:
                done = await sink.writer.run_blocking(jobs.build, conf, data_dir, db, briefings_dir)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a failed build must not stop the stream; the next one retries
                log.error("scheduled dbt build failed: %s", exc)
                state.update(failures=state["failures"] + 1, last_ok=False, last_error=str(exc)[:2000])
            else:
                built_at_written = written
                defaults_missing = 1  # unknown until the next quiet round counts them
                state.update(builds=state["builds"] + 1, last_ok=True, last_error=None, **done)
                log.warning("scheduled build: dbt %s, briefing %s (%.1f s)", done["dbt"], done["briefing"],
                            time.monotonic() - started)
            finally:
                state.update(running=False, last_finished=dt.datetime.now(dt.UTC).isoformat(),
                             last_took_s=round(time.monotonic() - started, 2))

    @app.page("/schedule")
    class ScheduleView(View):
        async def get(self, request: Request) -> Response:
            return self.json(state)
