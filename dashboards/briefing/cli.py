"""``safeguarding report briefing --quarter 2020Q3 --out FILE.html [--data-dir DIR]``.

Registered into the warehouse's ``report`` command group (infra/warehouse/cli.py).
"""

from __future__ import annotations

import argparse

from infra.cli_checks import data_dir_to_read, output_file
from infra.settings import settings
from schemas.errors import InvalidInput


def register(report_sub: argparse._SubParsersAction) -> None:
    p = report_sub.add_parser(
        "briefing", help="the quarterly learning briefing as one self-contained HTML file",
        description="Run the dashboards' panels against a vintage's marts for a quarter (with the year to "
        "date) and write one HTML file: inline SVG charts and tables, no network, print-friendly. The "
        "vintage is the figures as known at the quarter's end unless --as-of says otherwise; it must be "
        "built (`safeguarding report vintages --build T`): a missing or failed vintage is refused (exit 1).",
    )
    p.add_argument("--quarter", required=True, type=_quarter, help="e.g. 2020Q3")
    p.add_argument("--as-of", default=None, metavar="T",
                   help="the vintage to read: a date YYYY-MM-DD or 'latest' (default: the quarter's last day)")
    p.add_argument("--out", required=True, type=output_file("--out", suffixes=(".html", ".htm")),
                   help="the HTML file to write")
    p.add_argument("--data-dir", type=data_dir_to_read, default=None,
                   help="the embedded warehouse's data folder (default: CSPR_DATA_DIR)")
    p.set_defaults(func=_briefing, data_dir_use="read")


def _quarter(text: str) -> object:
    from dashboards.briefing.data import Quarter

    return Quarter.parse(text)


def _briefing(args: argparse.Namespace) -> int:
    from dashboards.briefing.build import render_briefing, write_atomically
    from dashboards.briefing.data import BriefingError
    from infra.warehouse import vintages
    from infra.warehouse.client import get_client
    from infra.warehouse.raw_store import check_database_name

    quarter = args.quarter
    s = settings()
    database = check_database_name(s.clickhouse_database)
    as_of = quarter.end if args.as_of is None else vintages.parse_as_of(args.as_of)
    client = get_client(s, data_dir=args.data_dir)
    try:
        vintage = vintages.readable(client, database, as_of, strict=True)
    except vintages.VintageError as exc:
        raise InvalidInput(f"no briefing of {quarter}: {exc}") from exc
    if vintage.as_of < quarter.start:
        raise BriefingError(f"--as-of {vintage.as_of} is before {quarter} began: nothing of it was known then")
    html = render_briefing(client, database, quarter, s.suppression_threshold, vintage=vintage)
    write_atomically(args.out, html)
    print(args.out)
    return 0
