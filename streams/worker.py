"""Start the stream worker: configure the app, load its agents and views, run until stopped."""

from __future__ import annotations

import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from infra.settings import Settings

log = logging.getLogger(__name__)


def load(settings: Settings, broker: str | None = None, data_dir: Path | None = None,
         web_port: int | None = None, database: str | None = None, schedule_dbt_s: float | None = None,
         partner_tokens: Path | None = None, live_renderer: Any = None) -> Any:
    """Configure the app and import every module that attaches agents, tables, timers or views."""
    from streams.app import configure

    app = configure(settings, broker=broker, web_port=web_port, data_dir=data_dir)
    import streams.cases.agents
    import streams.figures.snapshots
    import streams.figures.views
    import streams.heartbeat  # the stream-lag alert's heartbeat; the alert rules on /status (chDB)
    import streams.partners  # each partner's own inbound topic, held to its authority
    import streams.sink.agents
    import streams.views
    from streams.sink.writer import Writer

    streams.sink.agents.use_writer(Writer(settings, data_dir, database))
    if schedule_dbt_s:  # `safeguarding up`: dbt and the latest briefing in this process (it owns chDB)
        import streams.schedule

        streams.schedule.enable(settings, schedule_dbt_s, data_dir, database,
                                Path(data_dir or settings.data_dir) / "briefings")
    if live_renderer is not None:  # the live page (/live), drawn by the dashboards' panels
        import streams.live_page

        streams.live_page.use(live_renderer)
        if schedule_dbt_s:
            import streams.schedule

            streams.schedule.after_build.append(streams.live_page.warm)  # the page's default quarter, drawn at once
    if partner_tokens is not None:  # `safeguarding up`: the gateway reads its partners' views here
        import streams.partner_views

        streams.partner_views.enable(settings, partner_tokens, data_dir, database)
    return app


def run_worker(settings: Settings, broker: str | None = None, data_dir: Path | None = None,
               web_port: int | None = None, database: str | None = None, loglevel: str = "warning",
               schedule_dbt_s: float | None = None, partner_tokens: Path | None = None,
               live_renderer: Any = None) -> int:
    """Run the worker in this process until SIGINT/SIGTERM; returns the exit code."""
    import faust

    from streams.app import quiet_loggers

    app = load(settings, broker, data_dir, web_port, database, schedule_dbt_s, partner_tokens, live_renderer)

    parent = os.getppid()

    class Worker(faust.Worker):
        def _schedule_shutdown(self, signum: signal.Signals) -> None:
            leave_at_once_if_orphaned(parent)
            abandon_a_build_in_progress()  # before Faust's stop, which would wait for the build's thread
            super()._schedule_shutdown(signum)

    worker = Worker(app, loglevel=loglevel, quiet=True, redirect_stdouts=False, override_logging=False)
    quiet_loggers()
    profile_to = os.environ.get("CSPR_STREAM_PROFILE")  # a cProfile dump of the whole run, for tuning
    profiler = None
    if profile_to:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    code = 0
    try:
        worker.execute_from_commandline()
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(str(profile_to))
    return code


def leave_at_once_if_orphaned(parent: int) -> None:
    """Asked to stop because the process that started this worker died (``safeguarding up``
    killed: its children get SIGTERM through ``die_with_parent``), leave at once, as a crash
    would: whatever killed it may have taken the broker too, and Faust's clean stop then waits on
    the broker's timeouts for a minute or more. Nothing is lost: an offset is committed only after
    its events are stored, so the next start reads again what this worker had not committed."""
    if os.getppid() == parent:
        return
    print(f"worker: the process that started it (pid {parent}) is gone; stopping at once (what was not "
          "committed is read again at the next start)", file=sys.stderr, flush=True)
    logging.shutdown()
    os._exit(0)


def abandon_a_build_in_progress() -> None:
    """Asked to stop (SIGTERM, SIGINT) while a scheduled build runs on the ClickHouse thread:
    Faust's stop would wait for it (the sink's insert queued behind the build holds its events
    in flight), a minute or more. Leave at once instead, as a crash would, which the stream is
    built to survive: an offset is committed only after its events are stored, so the events
    queued behind the build come again from the broker at the next start, once. Everything the
    build wrote is in the vintage's ``__build`` database, which the next build drops; nothing it
    had not swapped in is presented anywhere. Only the swap itself (two renames and the
    catalogue row, under ``vintages.SWAP_LOCK``) is waited for."""
    from infra.warehouse.vintages import SWAP_LOCK
    from streams.sink.agents import sink

    if sink.writer is None or not sink.writer.building:
        return
    if not SWAP_LOCK.acquire(timeout=120):  # a swap takes milliseconds; never seen this long
        log.error("a vintage swap did not finish within 120 s; leaving anyway")
    print("worker: stopped; a figures build in progress was abandoned (the next build starts it again; "
          "the figures built before are unchanged)", file=sys.stderr, flush=True)
    logging.shutdown()
    sys.stdout.flush()
    os._exit(0)
