"""Start the stream worker: configure the app, load its agents and views, run until stopped."""

from __future__ import annotations

import logging
import os
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
    worker = faust.Worker(app, loglevel=loglevel, quiet=True, redirect_stdouts=False, override_logging=False)
    quiet_loggers()
    profile_to = os.environ.get("CSPR_STREAM_PROFILE")  # a cProfile dump of the whole run, for tuning
    profiler = None
    if profile_to:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    try:
        worker.execute_from_commandline()
    except SystemExit as exc:
        return int(exc.code or 0)
    finally:
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(str(profile_to))
    return 0
