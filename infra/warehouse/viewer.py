"""The viewer tables: the one disclosure-control step between the exact marts and every viewer.

After each dbt build (``run_dbt`` calls ``publish`` when a ``build`` or ``run`` succeeds) this
reads the exact counts of one built set of marts (one database: one vintage), applies primary and
secondary suppression jointly across every area table (``schemas.disclosure.suppress_areas``) and
writes the ``pub_*`` tables beside the marts. Grafana's user reads these (``VIEWER_TABLES`` and
the aggregate national marts, by an explicit list in ``infra/clickhouse/users.d``), the briefing
and the CSV export read them; nobody but an analyst reads ``fct_*``.

- ``pub_local_authority_notifications``: year x period (Q1..Q4, year) x authority
- ``pub_region_notifications``: year x period x region, plus England (``E92000001``, exact)
- ``pub_learning``: every learning figure (``infra.warehouse.learning_viewer``), suppressed by
  the same algorithm over its own linked cells
- ``pub_notifications_per_la_band``: year x band of the *published* authority-year figure
  ('0', 'c', '<threshold+1>-6', '7+'): it tells a reader nothing the authority table does not
  (the exact 1-2 band would say how many 'c' cells are primary)

Each row carries ``as_of`` (the report date T of the vintage) and counts as text ('c' or digits).
A year whose quarters are too sparse to protect (England's quarter totals leave no room) has its
authorities and regions by year only; one in which even that cannot be protected (a national
total within the threshold, as at the very start of a history) has England's rows only.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from infra.warehouse.learning_viewer import DEFINITION as LEARNING_DEFINITION
from infra.warehouse.learning_viewer import TABLE as LEARNING_TABLE
from infra.warehouse.learning_viewer import publish_learning
from infra.warehouse.raw_store import check_database_name
from schemas.disclosure import ENGLAND, PERIODS, band_of, bands, shown, suppress_areas

log = logging.getLogger(__name__)

VIEWER_TABLES = ("pub_local_authority_notifications", "pub_region_notifications", "pub_notifications_per_la_band",
                 LEARNING_TABLE)
DEFINITIONS = {  # what each viewer table holds (the open-data export's metadata quotes these)
    "pub_local_authority_notifications": "One row per year, period (Q1..Q4, or the whole year) and local authority: "
    "notifications whose notified_date falls in the period, as known at as_of; 'c' where disclosure control "
    "suppressed the count (1 to the threshold, and the cells suppressed with them so none can be worked out).",
    "pub_region_notifications": "One row per year, period and region, plus England (E92000001, exact): "
    "notifications as known at as_of; 'c' where suppressed, as in the local-authority table.",
    "pub_notifications_per_la_band": "One row per year and band of the published local-authority figure for the "
    "year ('0', 'c', the threshold+1 to 6, '7+'): how many authorities show a count in that band.",
    LEARNING_TABLE: LEARNING_DEFINITION,
}

_DDL = {
    "pub_local_authority_notifications": (
        "as_of Date, year UInt16, period LowCardinality(String), local_authority String, "
        "local_authority_name String, region_code String, region_name String, notifications String, suppressed Bool",
        "(year, period, local_authority)",
    ),
    "pub_region_notifications": (
        "as_of Date, year UInt16, period LowCardinality(String), region_code String, region_name String, "
        "notifications String, suppressed Bool",
        "(year, period, region_code)",
    ),
    "pub_notifications_per_la_band": (
        "as_of Date, year UInt16, band String, position UInt8, local_authorities UInt64",
        "(year, position)",
    ),
}


def publish(client: Any, database: str, threshold: int) -> dict[str, int]:
    """Write the viewer tables of the marts in ``database``; returns rows written per table.
    Does nothing (returns {}) when the marts are not built."""
    db = check_database_name(database)
    present = {r[0] for r in client.query(
        "SELECT name FROM system.tables WHERE database = {db:String}", parameters={"db": db}).result_rows}
    if not {"fct_local_authority_notifications", "int_cases_folded_as_at", "rpt_build_info"} <= present:
        return {}
    as_of = client.query(f"SELECT max(as_of) FROM {db}.rpt_build_info").result_rows[0][0]
    las = client.query(
        f"SELECT DISTINCT local_authority, local_authority_name, region_code, region_name "
        f"FROM {db}.fct_local_authority_notifications").result_rows
    years = [r[0] for r in client.query(
        f"SELECT DISTINCT year FROM {db}.fct_local_authority_notifications ORDER BY year").result_rows]
    counts = {(int(y), int(q), la): int(n) for y, q, la, n in client.query(
        f"SELECT toYear(notified_date), toQuarter(notified_date), local_authority, count() "
        f"FROM {db}.int_cases_folded_as_at GROUP BY 1, 2, 3").result_rows if int(y) in set(years)}
    regions = {la: region for la, _, region, _ in las}
    for y in years:  # the marts' years with no case still get their rows of zeros
        counts.setdefault((y, 1, next(iter(regions))), 0)
    cells, withheld = suppress_by_year(counts, regions, threshold)
    if withheld:
        log.warning("%s: no authority or region figures for %s: a national total is too small to protect them",
                    db, ", ".join(map(str, sorted(withheld))))

    exact_years = dict(((y, la), int(n)) for y, la, n in client.query(
        f"SELECT year, local_authority, notifications FROM {db}.fct_local_authority_notifications").result_rows)
    for (y, la), n in exact_years.items():
        if y not in withheld and cells.get((y, "year", "la", la), (0, False))[0] != n:
            raise RuntimeError(f"{db}: quarters of {la} in {y} do not add up to fct_local_authority_notifications")

    tables = viewer_rows(as_of, years, las, counts, threshold, cells)
    written = {}
    for table, rows in tables.items():
        replace_table(client, db, table, _DDL[table], rows)
        written[table] = len(rows)
    written[LEARNING_TABLE] = publish_learning(client, db, as_of, threshold)
    hidden_count: dict[str, int] = defaultdict(int)
    for k, (_, h) in cells.items():
        hidden_count[k[2]] += h
    log.info("viewer tables of %s as at %s: %s suppressed", db, as_of, dict(hidden_count))
    return written


_solved: dict[int, tuple[Any, tuple[dict[Any, tuple[int, bool]], frozenset[int]]]] = {}


def suppress_by_year(counts: dict[tuple[int, int, str], int], regions: dict[str, str],
                     threshold: int) -> tuple[dict[Any, tuple[int, bool]], frozenset[int]]:
    """``suppress_areas`` year by year, each year solved again only when its own counts (or the
    threshold, or the authorities) changed since this process last solved it. Years share no
    published total, so the answer is the same as solving them together; a refresh every 30 s
    (infra/warehouse/refresh.py) then re-solves the year that had events, not ten years of linear
    programmes."""
    cells: dict[Any, tuple[int, bool]] = {}
    withheld: set[int] = set()
    for year in sorted({y for y, _, _ in counts}):
        mine = {k: n for k, n in counts.items() if k[0] == year}
        key = (threshold, frozenset(mine.items()), frozenset(regions.items()))
        if year not in _solved or _solved[year][0] != key:
            _solved[year] = (key, suppress_areas(mine, regions, threshold))
        year_cells, year_withheld = _solved[year][1]
        cells.update(year_cells)
        withheld |= year_withheld
    return cells, frozenset(withheld)


def viewer_rows(as_of: Any, years: list[int], las: list[tuple[str, str, str, str]],
                counts: dict[tuple[int, int, str], int], threshold: int,
                cells: dict[Any, tuple[int, bool]] | None = None) -> dict[str, list[list[Any]]]:
    """The rows of each viewer table, from exact counts by (year, quarter, authority) and the
    authorities as (code, name, region code, region name)."""
    if cells is None:
        cells, _ = suppress_areas(counts, {la: region for la, _, region, _ in las}, threshold)
    region_names = {code: name for _, _, code, name in las}
    la_rows, region_rows = [], []
    band_counts: dict[int, dict[str, int]] = {y: dict.fromkeys(bands(threshold), 0) for y in years}
    for y in years:
        for p in PERIODS:
            for la, name, rc, rn in sorted(las):
                if (y, p, "la", la) not in cells:  # a withheld year: England's rows only
                    continue
                n, hidden = cells[(y, p, "la", la)]
                la_rows.append([as_of, y, p, la, name, rc, rn, shown(n, hidden), hidden])
                if p == "year":
                    band_counts[y][band_of(shown(n, hidden), threshold)] += 1
            for rc, rn in sorted(region_names.items()):
                if (y, p, "region", rc) not in cells:
                    continue
                n, hidden = cells[(y, p, "region", rc)]
                region_rows.append([as_of, y, p, rc, rn, shown(n, hidden), hidden])
            n, _ = cells[(y, p, "england", ENGLAND)]
            region_rows.append([as_of, y, p, ENGLAND, "England", str(n), False])
    band_rows = [[as_of, y, b, i, k] for y in years if (y, "year", "la", las[0][0]) in cells
                 for i, (b, k) in enumerate(band_counts[y].items())]
    return {"pub_local_authority_notifications": la_rows, "pub_region_notifications": region_rows,
            "pub_notifications_per_la_band": band_rows}


def replace_table(client: Any, db: str, table: str, ddl: tuple[str, str], rows: list[list[Any]]) -> None:
    """Build the table aside, then swap it in: a reader sees the old or the new one, never half.
    ``ddl`` is (columns, order by)."""
    columns, order = ddl
    aside = f"{db}.{table}__building"
    client.command(f"DROP TABLE IF EXISTS {aside}")
    client.command(f"CREATE TABLE {aside} ({columns}) ENGINE = MergeTree ORDER BY {order}")
    if rows:
        names = [c.strip().split(" ")[0] for c in columns.split(", ")]
        client.insert(aside, rows, column_names=names)
    exists = client.query("SELECT count() FROM system.tables WHERE database = {db:String} AND name = {t:String}",
                          parameters={"db": db, "t": table}).result_rows[0][0]
    if exists:
        client.command(f"EXCHANGE TABLES {aside} AND {db}.{table}")
        client.command(f"DROP TABLE {aside}")
    else:
        client.command(f"RENAME TABLE {aside} TO {db}.{table}")
