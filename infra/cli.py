"""``safeguarding``: the platform's command line. Each stage contributes its own commands.

Exit status: 0 success; 1 the command ran but found bad input or failed deliveries (it says
which); 2 a usage error, a bad setting or an unreadable file; 3 a service (broker, warehouse,
Grafana) could not be reached; 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import sys
from collections.abc import Sequence

from schemas.errors import CsprError, ServiceUnavailable

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_UNAVAILABLE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

# Stages whose ``<stage>.cli`` module registers subcommands, in the order ``--help`` lists them.
STAGES = ("producers", "streams", "infra.warehouse", "dashboards", "infra.stack")


def register_optional(sub: object, module: str) -> None:
    """Let a stage's sub-package (``producers.simulator.cli``) add its commands, if it exists."""
    if _has_module(module):
        importlib.import_module(module).register(sub)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="safeguarding",
        description="Child Safeguarding Practice Review Panel data platform: validate and publish "
        "events, run the stream, build the warehouse, report.",
        epilog="Settings come from CSPR_* environment variables (see README). Exit status: 0 ok, "
        "1 invalid input or failed deliveries, 2 usage or settings error, 3 service unavailable.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for stage in STAGES:
        name = f"{stage}.cli"
        if importlib.util.find_spec(stage.split(".")[0]) and _has_module(name):
            importlib.import_module(name).register(sub)
    return parser


def _has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def main(argv: Sequence[str] | None = None) -> int:
    try:
        parser = build_parser()
    except CsprError as exc:  # e.g. a malformed CSPR_* setting read for a default
        print(f"safeguarding: {exc}", file=sys.stderr)
        return EXIT_USAGE
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=[logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)],
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except ServiceUnavailable as exc:
        print(f"safeguarding {args.command}: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except CsprError as exc:
        print(f"safeguarding {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
