"""The stream's command: ``safeguarding worker``.

``--schedule-dbt`` runs jobs that span other stages (dbt's vintages, the dashboards' briefing)
inside the worker; the command layer that registers this command gives them (``schedule_jobs``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from infra.cli_checks import data_dir_to_write, port, seconds
from streams.partner_views import Backend
from streams.schedule import Jobs


def register(sub: Any, schedule_jobs: Callable[[], Jobs] | None = None,
             partner_backend: Backend | None = None, live_renderer: Callable[[], Any] | None = None) -> None:
    """The ``worker`` command; the command layer gives what spans other stages: the scheduled
    jobs, the partner views' backend and the live page's renderer (each optional)."""
    p = sub.add_parser(
        "worker",
        help="run the stream worker (validation, case projection, live figures, ClickHouse sink)",
        description="Run the Faust worker against the configured broker (CSPR_KAFKA_BOOTSTRAP_SERVERS) and "
        "warehouse (CSPR_CLICKHOUSE_URL) until Ctrl-C or SIGTERM. Live figures and /status are served on "
        "http://127.0.0.1:<CSPR_WORKER_WEB_PORT>/.",
    )
    p.add_argument("--bootstrap-servers", help="host:port of the broker (default: CSPR_KAFKA_BOOTSTRAP_SERVERS)")
    p.add_argument("--data-dir", type=data_dir_to_write,
                   help="folder whose warehouse/ holds chDB (default: CSPR_DATA_DIR, unless CSPR_CLICKHOUSE_URL is "
                   "a server)")
    p.add_argument("--web-port", type=port("--web-port"), help="port of the web views (default: CSPR_WORKER_WEB_PORT)")
    p.add_argument("--database", help="ClickHouse database (default: CSPR_CLICKHOUSE_DATABASE)")
    if schedule_jobs is not None:
        p.add_argument("--schedule-dbt", type=seconds("--schedule-dbt"), metavar="SECONDS", default=None,
                       help="build the latest vintage and render the latest briefing into "
                       "<data-dir>/briefings/latest.html inside this process (it owns the chDB folder): at start, "
                       "then when the stream has been quiet for a few seconds after new events, and at least "
                       "every SECONDS while they keep coming")
    if partner_backend is not None:
        p.add_argument("--partner-views", type=Path, metavar="TOKEN_FILE",
                       help="serve each partner's own view at /partner-views/ to the holders of the gateway "
                       "tokens in TOKEN_FILE, each reading only its own authority (`up` gives the gateway's token "
                       "file: its gateway asks here, as this process owns the chDB folder)")
    p.set_defaults(func=cmd_worker, schedule_dbt=None, schedule_jobs=schedule_jobs, partner_views=None,
                   partner_backend=partner_backend, live_renderer=live_renderer)


def cmd_worker(args: argparse.Namespace) -> int:
    from infra.cli_checks import check_writable_dir
    from infra.settings import load_settings
    from schemas.errors import CsprError
    from streams.worker import run_worker

    conf = load_settings()
    if args.partner_views is not None and not args.partner_views.is_file():
        from schemas.errors import UsageError

        raise UsageError(f"--partner-views: cannot read the token file {args.partner_views}: no such file")
    broker = args.bootstrap_servers or conf.kafka_bootstrap_servers
    if broker == "embedded":
        raise CsprError("the worker needs a broker address: set CSPR_KAFKA_BOOTSTRAP_SERVERS or pass "
                        "--bootstrap-servers (or use `safeguarding run`, which starts the embedded broker)")
    _check_broker(broker, conf.kafka_connect_timeout_s)
    web_port = args.web_port
    if web_port == 0:  # any free port (Faust itself cannot serve on port 0): say which
        from infra.brokers import free_port

        web_port = free_port()
        print(f"worker: web views on http://127.0.0.1:{web_port}/", file=sys.stderr, flush=True)
    data_dir = args.data_dir
    if data_dir is None and not conf.clickhouse_url.startswith("http"):
        data_dir = check_writable_dir(conf.data_dir, "CSPR_DATA_DIR")
    if args.schedule_dbt:
        from streams import schedule

        schedule.use(args.schedule_jobs())
    if args.partner_views is not None:
        from streams import partner_views

        partner_views.use(args.partner_backend)
    return run_worker(conf, broker=broker, data_dir=data_dir, web_port=web_port, database=args.database,
                      schedule_dbt_s=args.schedule_dbt, partner_tokens=args.partner_views,
                      live_renderer=args.live_renderer() if args.live_renderer else None)


def _check_broker(servers: str, timeout_s: float) -> None:
    from infra.brokers import wait_until_ready
    from schemas.errors import ServiceUnavailable

    try:
        wait_until_ready(servers, timeout_s)
    except TimeoutError as exc:
        raise ServiceUnavailable(f"no Kafka broker answered at {servers} within {timeout_s:g} s ({exc}); "
                                 "check CSPR_KAFKA_BOOTSTRAP_SERVERS") from None
