"""Stream commands: ``safeguarding worker`` and ``safeguarding run``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from infra.cli_checks import data_dir_to_write, input_file, port, seconds


def register(sub: Any) -> None:
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
    p.add_argument("--schedule-dbt", type=seconds("--schedule-dbt"), metavar="SECONDS", default=None,
                   help="build the latest vintage and render the latest briefing into <data-dir>/briefings/latest.html "
                   "inside this process (it owns the chDB folder): at start, then when the stream has been quiet "
                   "for a few seconds after new events, and at least every SECONDS while they keep coming")
    p.set_defaults(func=cmd_worker)

    r = sub.add_parser(
        "run",
        help="stream a JSON Lines file of events through the embedded stack into the warehouse",
        description="Start the embedded broker and a worker, publish FILE through the producer SDK, wait "
        "until every event is in ClickHouse or the dead-letter queue (or counted as a duplicate, or "
        "still held), stop the worker, build the dbt marts, and print a summary. Running it again on "
        "the same folder with the same file changes nothing. Exit status 0 when every event was accepted "
        "(or a duplicate); 1 when any was dead-lettered or is still held, or the file holds no events.",
    )
    r.add_argument("--events", required=True, type=input_file("--events"), help="JSON Lines file of events")
    r.add_argument("--data-dir", type=data_dir_to_write,
                   help="data folder (default: CSPR_DATA_DIR); chDB in <DIR>/warehouse")
    r.add_argument("--no-dbt", action="store_true", help="do not build the dbt marts afterwards")
    r.add_argument("--timeout", type=seconds("--timeout"), default=900.0, help="seconds to wait for the stream (default 900)")
    r.set_defaults(func=cmd_run, data_dir_use="write")


def cmd_worker(args: argparse.Namespace) -> int:
    from infra.cli_checks import check_writable_dir
    from infra.settings import load_settings
    from schemas.errors import CsprError
    from streams.worker import run_worker

    conf = load_settings()
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
    return run_worker(conf, broker=broker, data_dir=data_dir, web_port=web_port, database=args.database,
                      schedule_dbt_s=args.schedule_dbt)


def _check_broker(servers: str, timeout_s: float) -> None:
    from infra.brokers import wait_until_ready
    from schemas.errors import ServiceUnavailable

    try:
        wait_until_ready(servers, timeout_s)
    except TimeoutError as exc:
        raise ServiceUnavailable(f"no Kafka broker answered at {servers} within {timeout_s:g} s ({exc}); "
                                 "check CSPR_KAFKA_BOOTSTRAP_SERVERS") from None


def cmd_run(args: argparse.Namespace) -> int:
    from infra.settings import load_settings
    from streams.run import run_file

    conf = load_settings()
    summary = run_file(args.events, args.data_dir, conf, build_dbt=not args.no_dbt, timeout_s=args.timeout)
    code = summary.exit_code()
    if code:
        bad = sum(summary.dead_lettered_by_reason.values()) + summary.held
        print(f"safeguarding run: {bad:,} of {summary.read:,} events were dead-lettered or are still held "
              f"(see the summary); exit status {int(code)}", file=sys.stderr)
    return code
