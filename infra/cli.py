"""``safeguarding``: the platform's command line, the top layer. Each stage contributes its own
commands (its ``cli.register``); the commands that span stages (``run``, ``up``, ``demo`` and the
worker's scheduled dbt and briefing job) are this layer's (``infra.stack``). The stages never
import this layer (the import contract in pyproject.toml, ``make lint``).

The shared layer every command goes through, in this order: parse the arguments (paths and
files are checked by the argument types of ``infra.cli_checks``); read and validate every
``CSPR_*`` setting; check the data folder a command reads or writes when it comes from the
settings; run the command; turn its outcome into an exit status with the one mapping of
``schemas.errors.ExitCode``. Every mistake ends as one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from importlib import metadata
from typing import Any, NoReturn

from dashboards import cli as dashboards_cli
from dashboards.briefing import cli as briefing_cli
from infra.stack import cli as stack_cli
from infra.stack import schedule, worker_views
from infra.warehouse import cli as warehouse_cli
from producers import cli as producers_cli
from schemas.errors import CsprError, UsageError, exit_code_for
from streams import cli as streams_cli

EXIT_STATUS_HELP = ("Exit status: 0 all good; 1 ran, but input was invalid or undelivered (also: every line "
                    "dead-lettered, an empty input); 2 usage error, bad setting or unreadable path; 3 a service "
                    "(broker, warehouse, Grafana) could not be reached; 130 interrupted.")

# What a command does with the data folder when --data-dir is not given and CSPR_DATA_DIR is used
# (set with ``parser.set_defaults(data_dir_use=...)``): "write" (run, up, demo: it must be a folder
# that can be written, or created), "read" (report, dbt: it must hold a warehouse).
ASKS_FOR_HELP = {"-h", "--help", "--version"}


class ArgumentParser(argparse.ArgumentParser):
    """argparse with one-line errors: ``<prog>: <what is wrong> (see `<prog> --help`)``.

    An error of an argument type (``infra.cli_checks``) keeps its own exit status and is tagged
    with the command it was given to; the parsed namespace carries its command's name in
    ``prog`` for the messages of errors raised later."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        try:
            parsed, rest = super().parse_known_args(args, namespace)
        except CsprError as exc:
            if not hasattr(exc, "prog"):  # the innermost sub-command's parser sees it first
                exc.prog = self.prog  # type: ignore[attr-defined]
            raise
        if getattr(parsed, "prog", None) is None:
            parsed.prog = self.prog
        return parsed, rest


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="safeguarding",
        description="Child Safeguarding Practice Review Panel data platform: validate and publish "
        "events, run the stream, build the warehouse, report.",
        epilog="Every command has its own --help. Settings come from CSPR_* environment variables (see README); "
        "a malformed one stops every command at start-up. " + EXIT_STATUS_HELP,
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    # in the order `--help` lists them
    producers_cli.register(sub)  # validate, produce, simulate, gateway
    # worker (--schedule-dbt, --partner-views and the live page: this layer's jobs, views and renderer)
    streams_cli.register(sub, schedule_jobs=schedule.jobs, partner_backend=worker_views.backend,
                        live_renderer=worker_views.live_renderer)
    stack_cli.register_run(sub)  # run
    report = warehouse_cli.register(sub)  # dbt, report figures|vintages|export|audit
    briefing_cli.register(report)  # report briefing
    dashboards_cli.register(sub)  # dashboards generate|check|provision
    stack_cli.register(sub)  # demo, up
    return parser


def _version() -> str:
    try:
        return metadata.version("cspr-platform")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "(not installed)"


def _check_settings_data_dir(args: argparse.Namespace, conf: Any) -> None:
    """--data-dir given is checked by its argument type; the settings' folder is checked here."""
    from infra.cli_checks import check_warehouse_path, check_writable_dir

    use = getattr(args, "data_dir_use", None)
    if use is None or getattr(args, "data_dir", None) is not None:
        return
    if use == "write":
        args.data_dir = check_writable_dir(conf.data_dir, "CSPR_DATA_DIR")
    elif use == "read" and not conf.clickhouse_url.startswith(("http://", "https://")):
        check_warehouse_path(conf.chdb_path(), "CSPR_CLICKHOUSE_URL" if conf.clickhouse_url.startswith("chdb://")
                             else "CSPR_DATA_DIR")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    prog = "safeguarding"
    try:
        from infra.settings import settings

        settings.cache_clear()  # read now, from this environment
        if not ASKS_FOR_HELP & set(argv):  # help needs no settings; every command does, valid, first
            settings()
        args = build_parser().parse_args(argv)
        prog = args.prog
        logging.basicConfig(
            level=[logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)],
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
        _check_settings_data_dir(args, settings())
        return int(args.func(args) or 0)
    except KeyboardInterrupt as exc:
        print(f"{prog}: interrupted", file=sys.stderr)
        return exit_code_for(exc)
    except (CsprError, OSError) as exc:
        print(f"{getattr(exc, 'prog', prog)}: {_one_line(exc)}", file=sys.stderr)
        return exit_code_for(exc)


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.filename + ': ' if exc.filename else ''}{exc.strerror}"
    return str(exc)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
