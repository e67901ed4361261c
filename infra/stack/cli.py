"""The commands that tie the stages together, on the embedded stack: ``safeguarding run`` (one
file through every stage), ``demo`` (the main job, end to end) and ``up`` (the live stack)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from infra.cli_checks import data_dir_to_write, input_file, port, seconds


def register(sub: Any) -> None:
    p = sub.add_parser(
        "demo",
        help="run the main job on the embedded stack: simulate 2020, stream it, build the marts, report",
        description="Simulate the calibrated 2020 event history; start the embedded stack (Apache Kafka, the "
        "Faust worker, chDB); publish the history through the producer SDK; wait until every event is "
        "in ClickHouse; run dbt; print the annual report's headline figures beside the values the "
        "Panel published; write the 2020 Q2 and Q3 briefings. Exit status 0 when every figure "
        "matches, 1 when any differs.",
    )
    p.add_argument("--data-dir", type=data_dir_to_write, default=None,
                   help="where to keep everything (default: CSPR_DATA_DIR)")
    p.add_argument("--seed", type=int, default=2020, help="seed of the simulated history (default 2020)")
    p.set_defaults(func=cmd_demo, data_dir_use="write")
    register_up(sub)


def register_run(sub: Any) -> None:
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


def cmd_run(args: argparse.Namespace) -> int:
    from infra.settings import load_settings
    from infra.stack.run import run_file

    conf = load_settings()
    summary = run_file(args.events, args.data_dir, conf, build_dbt=not args.no_dbt, timeout_s=args.timeout)
    code = summary.exit_code()
    if code:
        bad = sum(summary.dead_lettered_by_reason.values()) + summary.held
        print(f"safeguarding run: {bad:,} of {summary.read:,} events were dead-lettered or are still held "
              f"(see the summary); exit status {int(code)}", file=sys.stderr)
    return code


def cmd_demo(args: argparse.Namespace) -> int:
    from infra.stack.demo import run_demo

    return run_demo(args.data_dir.resolve(), seed=args.seed)


def register_up(sub: Any) -> None:

    p = sub.add_parser(
        "up",
        help="run the live embedded stack (broker, worker, dbt on a schedule, live figures, briefing) until Ctrl-C",
        description="Start the embedded broker (Apache Kafka on its own log under DIR/kafka, kept across "
        "restarts), start the worker (it resumes from its committed offsets; it owns the chDB folder and runs dbt "
        "and renders the latest briefing on a schedule), optionally publish --events FILE, and serve the live "
        "figures and DIR/briefings/ on localhost. A worker or broker that dies is restarted. Ctrl-C or SIGTERM "
        "stops every child cleanly (exit 0). The URLs are printed and written to DIR/stack.json.",
    )
    p.add_argument("--data-dir", type=data_dir_to_write, default=None,
                   help="where to keep everything (default: CSPR_DATA_DIR)")
    p.add_argument("--events", type=input_file("--events"), default=None,
                   help="a JSON Lines file of events to publish once the stack is up")
    p.add_argument("--web-port", type=port("--web-port"), default=None,
                   help="port of the worker's live figures and /status (default CSPR_WORKER_WEB_PORT; 0: any free port)")
    p.add_argument("--briefing-port", type=port("--briefing-port"), default=8080, help="port of the briefing server (default 8080; 0: any)")
    p.add_argument("--dbt-every", type=seconds("--dbt-every", zero="never"), default=20.0, metavar="SECONDS",
                   help="build the latest vintage and briefing at start, then a few seconds after new events "
                   "stop arriving, and at least every SECONDS while they keep arriving (default 20; 0: never)")
    p.add_argument("--drain", type=seconds("--drain", zero="do not wait"), default=10.0, metavar="SECONDS",
                   help="on stop, wait up to SECONDS for the stream to take what is in the broker; the rest stays "
                   "in the broker's log for the next start (default 10)")
    p.add_argument("--timeout", type=seconds("--timeout"), default=900.0, help="seconds to wait for the worker to "
                   "take what the broker holds, or the file (default 900)")
    p.set_defaults(func=cmd_up, data_dir_use="write")


def cmd_up(args: argparse.Namespace) -> int:
    from infra.settings import load_settings
    from infra.stack.up import run_up
    from schemas.errors import CsprError

    conf = load_settings()
    if args.web_port is None:
        args.web_port = conf.worker_web_port
    if conf.kafka_bootstrap_servers != "embedded":
        raise CsprError("`up` runs the embedded stack; CSPR_KAFKA_BOOTSTRAP_SERVERS is "
                        f"{conf.kafka_bootstrap_servers!r} (unset it, or run `safeguarding worker` against that broker)")
    return run_up(args.data_dir.resolve(), conf, events=args.events, web_port=args.web_port, briefing_port=args.briefing_port,
                  dbt_every_s=args.dbt_every, drain_s=args.drain, timeout_s=args.timeout)
