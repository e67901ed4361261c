"""Start the stream worker: configure the app, load its agents and views, run until stopped."""

from __future__ import annotations

import logging
from pathlib import Path

from infra.settings import Settings

log = logging.getLogger(__name__)


def load(settings: Settings, broker: str | None = None, data_dir: Path | None = None,
         web_port: int | None = None, database: str | None = None) -> object:
    """Configure the app and import every module that attaches agents, tables, timers or views."""
    from streams.app import configure

    app = configure(settings, broker=broker, web_port=web_port)
    import streams.cases.agents
    import streams.figures.agents
    import streams.figures.views
    import streams.sink.agents
    import streams.views
    from streams.sink.writer import Writer

    streams.sink.agents.use_writer(Writer(settings, data_dir, database))
    return app


def run_worker(settings: Settings, broker: str | None = None, data_dir: Path | None = None,
               web_port: int | None = None, database: str | None = None, loglevel: str = "warning") -> int:
    """Run the worker in this process until SIGINT/SIGTERM; returns the exit code."""
    import faust

    from streams.app import quiet_loggers

    app = load(settings, broker, data_dir, web_port, database)
    worker = faust.Worker(app, loglevel=loglevel, quiet=True, redirect_stdouts=False, override_logging=False)
    quiet_loggers()
    try:
        worker.execute_from_commandline()
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0
