"""Open data: every published table of a vintage as CSV, with a metadata file.

``safeguarding report export --as-of T --out DIR`` writes ``DIR/<table>.csv`` for each table of
``PUBLISHED`` read from vintage T, and ``DIR/metadata.json``: the vintage (name, as-of date, when
it was built, the events it knows), each table's definition (its dbt description: grain and
meaning), the symbols, and the rules (as-of, suppression, rounding).

Only viewer tables are published: national aggregates and the viewer tables that the one
disclosure-control step wrote (``pub_*``, see ``infra.warehouse.viewer``: area figures by quarter
and year, small counts already ``c``). Never a case-level table (``rpt_overdue_rapid_reviews``),
the unsuppressed ``fct_local_authority_notifications`` or exact bands, or the pipeline's
data-quality marts. This module reads tables; it never suppresses.

Symbols (the Government Statistical Service's):
  ``c``  confidential: suppressed to protect the children concerned (as the marts hold it)
  ``x``  not available: a figure for a year after the vintage's as-of year (the marts lay that
         year out, but nothing of it could be known at T)
  ``z``  not applicable: no value can exist (a percentage of zero, the range of no reviews)
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml

from infra.warehouse.raw_store import check_database_name
from infra.warehouse.viewer import DEFINITIONS as VIEWER_DEFINITIONS
from schemas.errors import CsprError

PUBLISHED: tuple[str, ...] = (
    "rpt_notifications", "rpt_children", "rpt_imd_quintiles", "rpt_death_categories",
    "rpt_maltreatment_subcategories", "rpt_non_fatal_categories", "rpt_case_characteristics",
    "rpt_service_involvement", "rpt_period_change",
    "rpt_rapid_review_timeliness", "rpt_rapid_review_not_received_range", "rpt_rapid_reviews_received",
    "rpt_lcspr_decisions", "rpt_lcspr_initiated_by_year", "rpt_lcspr_reports", "rpt_quarterly_learning",
    "rpt_notifications_monthly",
    # the viewer tables (infra.warehouse.viewer): area figures after disclosure control, 'c' already
    # in place; the exact band table (rpt_notifications_per_la_band) would say how many 'c' are primary
    "pub_local_authority_notifications", "pub_region_notifications", "pub_notifications_per_la_band",
    "pub_learning",
)
SYMBOLS = {
    "c": "confidential: a count from 1 to the suppression threshold, suppressed to protect the children concerned",
    "x": "not available: a figure for a year after the vintage's as-of year, of which nothing could be known then",
    "z": "not applicable: no value can exist (a percentage of zero, the range of no reviews)",
}
YEAR_COLUMNS = ("year", "initiated_year")


class ExportError(CsprError):
    """The export cannot be written (a bad --out, a missing table)."""


def _definitions() -> dict[str, str]:
    from infra.warehouse.dbt_runner import project_dir

    out: dict[str, str] = {}
    for path in (project_dir() / "models" / "marts").rglob("*.yml"):
        for model in (yaml.safe_load(path.read_text("utf-8")) or {}).get("models", []):
            out[model["name"]] = " ".join(str(model.get("description", "")).split())
    return out


def _cell(value: Any, not_available: bool) -> Any:
    if not_available and (value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))):
        return "x"
    if value is None:
        return "z"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def export(client: Any, vintage: Any, out: Path, threshold: int) -> list[Path]:
    """Write the vintage's published tables and metadata.json into ``out`` (created, or replaced
    file by file: a failed export leaves the folder as it was). Returns the files written."""
    db = check_database_name(vintage.database)
    if out.exists() and not out.is_dir():
        raise ExportError(f"--out {str(out)!r} is a file; give a folder")
    have = {r[0] for r in client.query("SELECT name FROM system.tables WHERE database = {db:String}",
                                       parameters={"db": db}).result_rows}
    missing = [t for t in PUBLISHED if t not in have]
    if missing:
        raise ExportError(f"vintage {vintage.name} lacks the tables {', '.join(missing)}: rebuild it")
    definitions = _definitions()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        tables = []
        for table in PUBLISHED:
            res = client.query(f"SELECT * FROM {db}.{table} ORDER BY ALL")
            cols = list(res.column_names)
            years = [cols.index(c) for c in YEAR_COLUMNS if c in cols]
            with (tmp / f"{table}.csv").open("w", newline="", encoding="utf-8") as f:
                w = csv.writer(f)
                w.writerow(cols)
                for row in res.result_rows:
                    later = any(int(row[i]) > vintage.as_of.year for i in years)
                    w.writerow([v if i in years else _cell(v, later) for i, v in enumerate(row)])
            tables.append({"file": f"{table}.csv", "table": table, "rows": len(res.result_rows),
                           "definition": definitions.get(table) or VIEWER_DEFINITIONS.get(table, "")})
        meta = {
            "title": "Serious incident notifications to the Child Safeguarding Practice Review Panel",
            "vintage": vintage.describe(),
            "as_of_rule": f"every figure counts the events known by the end of {vintage.as_of.isoformat()} (UTC): "
                          "corrections known then applied, cases withdrawn by then left out",
            "symbols": SYMBOLS,
            "suppression": f"local-area and regional counts from 1 to {threshold} are shown as c",
            "rounding": "percentages to one decimal place, halves away from zero",
            "tables": tables,
            "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        (tmp / "metadata.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for part in sorted(tmp.iterdir()):
            os.replace(part, out / part.name)
            written.append(out / part.name)
        return written
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
