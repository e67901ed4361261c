"""``safeguarding report briefing --quarter 2020Q3 --out FILE.html [--data-dir DIR]``.

Registered into the warehouse's ``report`` command group (infra/warehouse/cli.py).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from infra.settings import settings


def register(report_sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = report_sub.add_parser(
        "briefing", help="the quarterly learning briefing as one self-contained HTML file",
        description="Run the dashboards' panels against a vintage's marts for a quarter (with the year to "
        "date) and write one HTML file: inline SVG charts and tables, no network, print-friendly. The "
        "vintage is the figures as known at the quarter's end unless --as-of says otherwise; it must be "
        "built (`safeguarding report vintages --build T`): a missing or failed vintage is refused (exit 1).",
    )
    p.add_argument("--quarter", required=True, help="e.g. 2020Q3")
    p.add_argument("--as-of", default=None, metavar="T",
                   help="the vintage to read: a date YYYY-MM-DD or 'latest' (default: the quarter's last day)")
    p.add_argument("--out", required=True, type=Path, help="the HTML file to write")
    p.add_argument("--data-dir", type=Path, default=None,
                   help="the embedded warehouse's data folder (default: CSPR_DATA_DIR)")
    p.set_defaults(func=_briefing)


def _briefing(args: argparse.Namespace) -> int:
    import sys

    from dashboards.briefing.build import render_briefing, write_atomically
    from dashboards.briefing.data import BriefingError, Quarter
    from infra.warehouse import vintages
    from infra.warehouse.client import get_client
    from infra.warehouse.raw_store import check_database_name

    quarter = Quarter.parse(args.quarter)
    if args.out.suffix.lower() not in (".html", ".htm"):
        raise BriefingError(f"--out must be an .html file, got {str(args.out)!r}")
    if args.out.is_dir():
        raise BriefingError(f"--out {str(args.out)!r} is a folder; give a file name")
    if args.data_dir is not None and not args.data_dir.is_dir():
        raise BriefingError(f"--data-dir {str(args.data_dir)!r} is not a folder")
    s = settings()
    database = check_database_name(s.clickhouse_database)
    as_of = quarter.end if args.as_of is None else vintages.parse_as_of(args.as_of)
    client = get_client(s, data_dir=args.data_dir)
    try:
        vintage = vintages.readable(client, database, as_of, strict=True)
    except vintages.VintageError as exc:
        print(f"safeguarding report briefing: no briefing of {quarter}: {exc}", file=sys.stderr)
        return 1
    if vintage.as_of < quarter.start:
        raise BriefingError(f"--as-of {vintage.as_of} is before {quarter} began: nothing of it was known then")
    html = render_briefing(client, database, quarter, s.suppression_threshold, vintage=vintage)
    write_atomically(args.out, html)
    print(args.out)
    return 0
