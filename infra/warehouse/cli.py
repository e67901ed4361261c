"""``safeguarding dbt ...`` and ``safeguarding report figures``.

``dbt`` passes its arguments to dbt, run in this process on the warehouse of the settings
(chDB in-process under ``--data-dir``, or the ClickHouse server of CSPR_CLICKHOUSE_URL).
``report figures`` prints the annual report's figures as JSON, read from the vintage as known at
``--as-of`` (built first when it is missing); ``report vintages`` lists and builds vintages.
``report audit`` checks, from the published viewer tables alone, that no suppressed count can be
worked out (exit 1 naming each exposed cell).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from pathlib import Path
from typing import Any

from infra.cli_checks import check_warehouse_dir, check_writable_dir, data_dir_to_read, seconds
from infra.settings import settings as current_settings
from schemas.errors import UsageError

log = logging.getLogger(__name__)


def register(sub: Any) -> Any:
    """Add ``dbt`` and ``report``; returns ``report``'s sub-commands, for the command layer to add
    the dashboards' ``report briefing`` to."""
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
        description="Read the figures of --year from vintage --as-of (the marts as known at that date, "
        "in their own database), building that vintage first when it is missing, and print them in the "
        "shape of the acceptance file. Every figure is read from the marts; the vintage read is named "
        "on stderr, dbt's log goes to stderr too.",
    )
    figures.add_argument("--year", type=_year, required=True, help="report year, e.g. 2020")
    figures.add_argument("--as-of", type=_date, required=True, help="report date T (YYYY-MM-DD), e.g. 2021-03-31")
    figures.add_argument("--data-dir", type=data_dir_to_read, default=None,
                         help="embedded data folder (chDB in DIR/warehouse); default: the settings' warehouse")
    figures.add_argument("--rebuild", action="store_true", help="build the vintage even if it is built")
    figures.set_defaults(func=report_figures_command, data_dir_use="read")

    vintages_p = report_sub.add_parser(
        "vintages", help="list the vintages (figures as known at a date), building some first",
        description="Print the vintage catalogue as JSON: each vintage's name, as-of date, status, when "
        "it was built and the events it knows. --build T (a date or 'latest') builds vintage T aside "
        "and swaps it in when every dbt model and test passed; a failure leaves every vintage as it was.",
    )
    vintages_p.add_argument("--build", action="append", default=[], metavar="T",
                            help="build vintage T (YYYY-MM-DD or latest); repeatable")
    vintages_p.add_argument("--defaults", action="store_true",
                            help="build the default vintages that are missing (quarter ends, report dates) and latest")
    vintages_p.add_argument("--data-dir", type=data_dir_to_read, default=None,
                            help="embedded data folder (chDB in DIR/warehouse); default: the settings' warehouse")
    vintages_p.set_defaults(func=report_vintages_command, data_dir_use="read")

    export_p = report_sub.add_parser(
        "export", help="write every published table of a vintage as CSV (open data), with metadata",
        description="Write DIR/<table>.csv for every published table of vintage --as-of (built first when "
        "it is missing) and DIR/metadata.json naming the vintage, the tables' definitions and the symbols: "
        "c suppressed, x not available, z not applicable. Only viewer tables: local-area counts are the "
        "suppressed ones.",
    )
    export_p.add_argument("--as-of", required=True, help="the vintage: a date YYYY-MM-DD or 'latest'")
    export_p.add_argument("--out", required=True, type=_out_dir, help="the folder to write")
    export_p.add_argument("--data-dir", type=data_dir_to_read, default=None,
                          help="embedded data folder (chDB in DIR/warehouse); default: the settings' warehouse")
    export_p.set_defaults(func=report_export_command, data_dir_use="read")

    audit = report_sub.add_parser(
        "audit", help="prove no suppressed count can be worked out from what viewers see",
        description="Read the published viewer tables (pub_*) of the warehouse and, for every 'c', "
        "compute the smallest and largest value it can take given every published total and that a "
        "'c' is at least 1 (a linear programme per bound). Exit 0 when every 'c' can be above the "
        "threshold and is not pinned; 1 naming each exposed cell; 2 when there are no viewer tables.",
    )
    audit.add_argument("--data-dir", type=data_dir_to_read, default=None,
                       help="embedded data folder (chDB in DIR/warehouse); default: the settings' warehouse")
    audit.add_argument("--database", default=None,
                       help="audit only the viewer tables in this database (default: every vintage that is built)")
    audit.add_argument("--threshold", type=int, default=None,
                       help="suppression threshold (default: CSPR_SUPPRESSION_THRESHOLD)")
    audit.set_defaults(func=report_audit_command, data_dir_use="read")

    refresh_p = report_sub.add_parser(
        "refresh", help="refresh the latest vintage's marts in place (models only); with --every, on a schedule",
        description="dbt run (models only, the case fold incremental) straight into the latest vintage, "
        "then its viewer tables; the full build (every model and test, aside) when the latest vintage is "
        "missing or of another date. With --every S: a refresh every S seconds and the full build of latest "
        "and of any missing default vintage every --build-every seconds, until stopped (infra/warehouse/refresh.py).",
    )
    refresh_p.add_argument("--every", type=seconds("--every"), default=None, metavar="S",
                           help="refresh every S seconds until stopped (default: once)")
    refresh_p.add_argument("--build-every", type=seconds("--build-every"), default=900.0, metavar="S",
                           help="with --every: the full tested build every S seconds (default 900)")
    refresh_p.add_argument("--data-dir", type=data_dir_to_read, default=None,
                           help="embedded data folder (chDB in DIR/warehouse); default: the settings' warehouse")
    refresh_p.set_defaults(func=report_refresh_command, data_dir_use="read")

    return report_sub


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
    from infra.warehouse import vintages
    from infra.warehouse.figures import read_figures

    settings = current_settings()
    client = _prepare_warehouse(settings, args.data_dir)
    database = settings.clickhouse_database
    try:
        if args.rebuild:
            raise vintages.VintageError("rebuild asked")
        vintage = vintages.readable(client, database, args.as_of)
    except vintages.VintageError:
        log.info("building vintage %s", vintages.name_for(args.as_of))
        try:
            vintage = vintages.build(client, settings, database, args.as_of, data_dir=args.data_dir)
        except vintages.VintageError as exc:
            print(f"safeguarding report figures: {exc}", file=sys.stderr)
            return 1
    print(f"safeguarding report figures: vintage {vintage.name} (as known at {vintage.as_of}, "
          f"built {vintage.built_at:%Y-%m-%d %H:%M:%S} UTC, {vintage.events:,} events) in database "
          f"{vintage.database}", file=sys.stderr)
    if vintage.message:
        print(f"safeguarding report figures: warning: vintage {vintage.name}: {vintage.message}; "
              "read the last successful build", file=sys.stderr)
    figures = read_figures(client, vintage.database, args.year, args.as_of)
    json.dump(figures, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


def report_vintages_command(args: argparse.Namespace) -> int:
    """List the vintages (JSON); with --build, build the ones asked first (--defaults: every
    default vintage that is missing, and latest)."""
    from infra.warehouse import vintages

    settings = current_settings()
    client = _prepare_warehouse(settings, args.data_dir)
    database = settings.clickhouse_database
    wanted: list[dt.date | None] = [vintages.parse_as_of(t) for t in args.build]
    if args.defaults:
        wanted += [*vintages.missing_defaults(client, database), None]
    failed = 0
    for result in vintages.build_all(client, settings, database, wanted, data_dir=args.data_dir):
        if isinstance(result, vintages.VintageError):
            print(f"safeguarding report vintages: {result}", file=sys.stderr)
            failed += 1
    json.dump([v.describe() for v in vintages.catalogue(client, database)], sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 1 if failed else 0


def report_refresh_command(args: argparse.Namespace) -> int:
    from infra.warehouse import refresh

    settings = current_settings()
    client = _prepare_warehouse(settings, args.data_dir)
    if args.every is not None:
        refresh.run_schedule(client, settings, settings.clickhouse_database, args.every, args.build_every,
                             data_dir=args.data_dir)
        return 0
    done = refresh.refresh_latest(client, settings, settings.clickhouse_database, data_dir=args.data_dir)
    print(refresh.describe(done))
    return 0 if done.ok else 1


def report_export_command(args: argparse.Namespace) -> int:
    from infra.warehouse import vintages
    from infra.warehouse.export import export

    settings = current_settings()
    client = _prepare_warehouse(settings, args.data_dir)
    database = settings.clickhouse_database
    as_of = vintages.parse_as_of(args.as_of)
    try:
        try:
            vintage = vintages.readable(client, database, as_of, strict=True)
        except vintages.VintageError:
            vintage = vintages.build(client, settings, database, as_of, data_dir=args.data_dir)
    except vintages.VintageError as exc:
        print(f"safeguarding report export: {exc}", file=sys.stderr)
        return 1
    files = export(client, vintage, args.out, settings.suppression_threshold)
    print(f"safeguarding report export: vintage {vintage.name} (as known at {vintage.as_of}): "
          f"{len(files)} files in {args.out}", file=sys.stderr)
    for f in files:
        print(f)
    return 0


def _out_dir(text: str) -> Path:
    return check_writable_dir(Path(text), "--out")


def report_audit_command(args: argparse.Namespace) -> int:
    """Audit the viewer tables of every vintage that is built (or of --database only)."""
    from infra.warehouse import vintages
    from infra.warehouse.audit import audit
    from infra.warehouse.client import get_client
    from infra.warehouse.raw_store import check_database_name
    from infra.warehouse.viewer import VIEWER_TABLES

    settings = current_settings()
    threshold = settings.suppression_threshold if args.threshold is None else args.threshold
    client = get_client(settings, data_dir=args.data_dir)
    if args.database:
        databases = [check_database_name(args.database)]
    else:
        databases = sorted({v.database for v in vintages.catalogue(client, settings.clickhouse_database)
                            if v.status == "ok"})
        if not databases:
            raise UsageError("no vintage is built: build one first (safeguarding report vintages --build latest)")
    exposed = 0
    for database in databases:
        present = {r[0] for r in client.query("SELECT name FROM system.tables WHERE database = {db:String}",
                                              parameters={"db": database}).result_rows}
        missing = [t for t in VIEWER_TABLES if t not in present]
        if missing:
            raise UsageError(f"no viewer table {missing[0]} in database {database} "
                             "(build it first: safeguarding report vintages --build latest)")
        findings = audit(client, database, threshold)
        cells = client.query(f"SELECT countIf(notifications = 'c'), count() FROM "
                             f"{database}.pub_local_authority_notifications").result_rows[0]
        for f in findings:
            print(f"exposed: {database}: {f.text}")
        print(f"safeguarding report audit: {database}: {len(findings)} exposed; "
              f"{cells[0]} of {cells[1]} authority cells suppressed (threshold {threshold})", file=sys.stderr)
        exposed += len(findings)
    return 1 if exposed else 0
