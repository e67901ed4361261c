"""``safeguarding dbt ...`` and ``safeguarding report figures``.

``dbt`` passes its arguments to dbt, run in this process on the warehouse of the settings
(chDB in-process under ``--data-dir``, or the ClickHouse server of CSPR_CLICKHOUSE_URL).
``report figures`` prints the annual report's figures as JSON, read from the marts (built as at
``--as-of`` first when they are not). ``report audit`` checks, from the published viewer tables
alone, that no suppressed count can be worked out (exit 1 naming each exposed cell).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from pathlib import Path
from typing import Any

from infra.cli_checks import check_warehouse_dir, data_dir_to_read
from infra.settings import settings as current_settings
from schemas.errors import UsageError

log = logging.getLogger(__name__)


def register(sub: Any) -> None:
    dbt = sub.add_parser(
        "dbt", help="run dbt on the warehouse (e.g. `safeguarding dbt build --vars '{as_of: 2021-03-31}'`)",
        usage="safeguarding dbt [-h] [--data-dir DIR] DBT_COMMAND [dbt arguments ...]",
        description="Run dbt (the project in dbt/) in this process: on chDB under --data-dir, or on the "
        "ClickHouse server of CSPR_CLICKHOUSE_URL. Every argument after DBT_COMMAND goes to dbt unchanged "
        "(--data-dir may come anywhere); `safeguarding dbt DBT_COMMAND --help` shows dbt's own help for it. "
        "The warehouse must exist (`safeguarding run` or `up` writes it): dbt never creates one.",
        epilog="Exit status is dbt's: 0 success, 1 a model or test failed; 2 a usage error, a bad setting or "
        "a folder without a warehouse; 3 the warehouse could not be reached.",
    )
    dbt.add_argument("--data-dir", type=data_dir_to_read, default=None,
                     help="embedded data folder (chDB in DIR/warehouse); default: the settings' warehouse")
    dbt.add_argument("--version", action="store_true", help="dbt's version")
    dbt.add_argument("dbt_args", nargs=argparse.REMAINDER, metavar="DBT_COMMAND",
                     help="a dbt command and its arguments, e.g. build, test, ls --select ...")
    dbt.set_defaults(func=run_dbt_command)

    report = sub.add_parser("report", help="the Panel's report, from the marts")
    report_sub = report.add_subparsers(dest="report_command", metavar="REPORT", required=True)
    figures = report_sub.add_parser(
        "figures", help="print the annual report's figures (JSON) for a year as at a date",
        description="Build the marts as at --as-of if they are not, and print the figures of --year in "
        "the shape of the acceptance file. Every figure is read from the marts.",
    )
    figures.add_argument("--year", type=_year, required=True, help="report year, e.g. 2020")
    figures.add_argument("--as-of", type=_date, required=True, help="report date T (YYYY-MM-DD), e.g. 2021-03-31")
    figures.add_argument("--data-dir", type=data_dir_to_read, default=None,
                         help="embedded data folder (chDB in DIR/warehouse); default: the settings' warehouse")
    figures.add_argument("--rebuild", action="store_true", help="build the marts even if built as at --as-of")
    figures.set_defaults(func=report_figures_command, data_dir_use="read")

    audit = report_sub.add_parser(
        "audit", help="prove no suppressed count can be worked out from what viewers see",
        description="Read the published viewer tables (pub_*) of the warehouse and, for every 'c', "
        "compute the smallest and largest value it can take given every published total and that a "
        "'c' is at least 1 (a linear programme per bound). Exit 0 when every 'c' can be above the "
        "threshold and is not pinned; 1 naming each exposed cell; 2 when there are no viewer tables.",
    )
    audit.add_argument("--data-dir", type=Path, default=None,
                       help="embedded data folder (chDB in DIR/warehouse); default: the settings' warehouse")
    audit.add_argument("--database", default=None, help="database of the viewer tables (default: the settings')")
    audit.add_argument("--threshold", type=int, default=None,
                       help="suppression threshold (default: CSPR_SUPPRESSION_THRESHOLD)")
    audit.set_defaults(func=report_audit_command)

    from infra.cli import register_optional

    register_optional(report_sub, "dashboards.briefing.cli")


def _year(text: str) -> int:
    if not text.isdigit() or not 2018 <= int(text) <= 2100:
        raise argparse.ArgumentTypeError(f"--year must be a year from 2018, got {text!r}")
    return int(text)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--as-of must be a date YYYY-MM-DD, got {text!r}") from None


DBT_OWN_HELP = ("--help", "-h", "--version")


def run_dbt_command(args: argparse.Namespace) -> int:
    from infra.cli_checks import check_warehouse_path
    from infra.warehouse.dbt_runner import run_dbt

    dbt_args = list(args.dbt_args)
    if dbt_args and dbt_args[0] == "--":
        dbt_args = dbt_args[1:]
    # --data-dir may also come after the dbt command (REMAINDER swallows it): take it out
    if args.version:
        dbt_args.insert(0, "--version")
    data_dir = args.data_dir
    if "--data-dir" in dbt_args:
        i = dbt_args.index("--data-dir")
        if i + 1 >= len(dbt_args):
            raise UsageError("--data-dir needs a folder (see `safeguarding dbt --help`)")
        data_dir = check_warehouse_dir(Path(dbt_args[i + 1]), "--data-dir")
        del dbt_args[i:i + 2]
    if not dbt_args:
        raise UsageError("give dbt a command, e.g. `safeguarding dbt build` (see `safeguarding dbt --help`)")
    settings = current_settings()
    if any(arg in DBT_OWN_HELP for arg in dbt_args):  # dbt's own help: no warehouse needed
        outcome = run_dbt(dbt_args, settings=settings, data_dir=data_dir)
        return 0 if outcome.success else 1
    if data_dir is None and not settings.clickhouse_url.startswith(("http://", "https://")):
        check_warehouse_path(settings.chdb_path(), "CSPR_DATA_DIR")
    _prepare_warehouse(settings, data_dir)
    outcome = run_dbt(dbt_args, settings=settings, data_dir=data_dir)
    if outcome.exception is not None:
        print(f"safeguarding dbt: {outcome.exception}", file=sys.stderr)
    return 0 if outcome.success else 1


def _prepare_warehouse(settings: Any, data_dir: Path | None) -> Any:
    """Open the warehouse (ServiceUnavailable if it cannot be reached) and make sure the raw
    store exists, so dbt's sources resolve on a fresh warehouse."""
    from infra.warehouse.client import get_client
    from infra.warehouse.raw_store import ensure_raw_store

    client = get_client(settings, data_dir=data_dir)
    ensure_raw_store(client, settings.clickhouse_database)
    return client


def report_figures_command(args: argparse.Namespace) -> int:
    from infra.warehouse.dbt_runner import run_dbt
    from infra.warehouse.figures import built_as_of, read_figures

    settings = current_settings()
    client = _prepare_warehouse(settings, args.data_dir)
    database = settings.clickhouse_database
    if args.rebuild or built_as_of(client, database) != args.as_of:
        log.info("building the marts as at %s", args.as_of)
        outcome = run_dbt(
            ["build", "--vars", json.dumps({"as_of": args.as_of.isoformat(),
                                            "suppression_threshold": settings.suppression_threshold})],
            settings=settings, data_dir=args.data_dir, quiet=True,
        )
        if not outcome.success:
            print(f"safeguarding report figures: building the marts as at {args.as_of} failed"
                  + (f": {outcome.exception}" if outcome.exception else " (see the dbt log above)"),
                  file=sys.stderr)
            return 1
    figures = read_figures(client, database, args.year, args.as_of)
    json.dump(figures, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


def report_audit_command(args: argparse.Namespace) -> int:
    from infra.warehouse.audit import audit
    from infra.warehouse.client import get_client
    from infra.warehouse.raw_store import check_database_name
    from infra.warehouse.viewer import VIEWER_TABLES

    settings = current_settings()
    database = check_database_name(args.database or settings.clickhouse_database)
    threshold = settings.suppression_threshold if args.threshold is None else args.threshold
    client = get_client(settings, data_dir=args.data_dir)
    present = {r[0] for r in client.query("SELECT name FROM system.tables WHERE database = {db:String}",
                                          parameters={"db": database}).result_rows}
    missing = [t for t in VIEWER_TABLES if t not in present]
    if missing:
        print(f"safeguarding report audit: no viewer table {missing[0]} in database {database} "
              "(build the marts first: safeguarding dbt build)", file=sys.stderr)
        return 2
    findings = audit(client, database, threshold)
    cells = client.query(f"SELECT countIf(notifications = 'c'), count() FROM {database}.pub_local_authority_notifications"
                         ).result_rows[0]
    for f in findings:
        print(f"exposed: {f.text}")
    print(f"safeguarding report audit: {database}: {len(findings)} exposed; "
          f"{cells[0]} of {cells[1]} authority cells suppressed (threshold {threshold})", file=sys.stderr)
    return 1 if findings else 0
