"""The learning viewer table: every learning figure a viewer sees, after disclosure control.

``pub_learning`` is written after each build beside the area viewer tables (``viewer.publish``
calls ``publish_learning``), from the learning marts of that vintage (producers/reference/
LEARNING.md): practice themes, COVID-19 factors by case theme, what reviews record, reasons for no
LCSPR, the Panel's disagreements, quality of rapid reviews, partnerships' yearly reports, LCSPR
decision rates, neglect in deaths and reviews within 25 working days. One row per figure x year x
grouping x group x item, the count as text ('c' or digits) and its share (null where it is not
shown).

Disclosure control is the same step as for areas (``schemas.disclosure.suppress``), over every
learning cell of a vintage at once:

- **primary**: a count from 1 to the threshold is 'c';
- **secondary**: further cells until no 'c' can be worked out from the totals a reader knows
  (``equations``: the quarters, harm types, categories, age bands and case themes of a year add
  up to the year; the answers to one question add up to its total; the ratings of a dimension add
  up to the reviews assessed);
- **fixed** cells are shown whatever their value: they are published exactly elsewhere already
  (national totals: reviews received in a year and a quarter, notifications, decisions, reviews
  disagreed with, the timeliness buckets behind "within 25 working days");
- **a share** is shown only when its count and every count of its denominator are shown (a share
  with a shown denominator would give a suppressed count back, and the reverse).

A figure-year with a cell that cannot be protected (a fixed total too small) is withheld: no rows.
The audit (``infra.warehouse.audit.audit_learning``) checks the published rows independently.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from schemas.disclosure import Equation, shown, suppress

log = logging.getLogger(__name__)
TABLE = "pub_learning"
DEFINITION = ("One row per learning figure, year, grouping, group and item (producers/reference/LEARNING.md): "
              "the count as known at as_of, 'c' where disclosure control suppressed it, and its share in per cent "
              "of its denominator (null where the count or its denominator is not shown).")
DDL = ("as_of Date, year UInt16, figure LowCardinality(String), grouping LowCardinality(String), group_value String, "
       "group_position UInt16, item String, item_position UInt16, value String, suppressed Bool, "
       "pct Nullable(Float64), denominator String",
       "(figure, year, grouping, group_position, item_position)")
COLUMNS = [c.split(" ")[0] for c in DDL[0].split(", ")]

Cell = tuple[str, int, str, str, str]  # (figure, year, grouping, group_value, item)


@dataclass(frozen=True)
class Row:
    figure: str
    year: int
    grouping: str
    group_value: str
    group_position: int
    item: str
    item_position: int
    n: int

    @property
    def cell(self) -> Cell:
        return (self.figure, self.year, self.grouping, self.group_value, self.item)


# --- the learning figures: where they come from and how their cells relate ----------------------

LONG_MARTS = {  # figure -> its long mart (macro learning_long)
    "practice_themes": "rpt_practice_themes",
    "covid_factors": "rpt_covid_factors_by_case_theme",
    "review_recording": "rpt_review_recording",
    "no_lcspr_reasons": "rpt_no_lcspr_reasons",
    "panel_disagreement": "rpt_panel_disagreement",
    "rapid_review_quality": "rpt_rapid_review_quality",
    "partnership_yearly_reports": "rpt_partnership_yearly_reports",
}
# figure -> (wide mart, its group column, count columns): the report's v1 cross-tabulations
WIDE_MARTS = {
    # para 67's rate only: with no_lcspr and undecided beside them a group's small undecided count
    # would take its lcspr count (the figure the report quotes) into secondary suppression; the
    # national split is rpt_lcspr_decisions'
    "lcspr_decision_rates": ("rpt_lcspr_decision_rates", "harm_group", ("notifications", "lcspr")),
    "neglect_in_deaths": ("rpt_neglect_in_deaths", "death_group", ("notifications", "neglect")),
    "within_25_working_days": ("rpt_rapid_reviews_within_25_working_days", "period", ("reviews", "within_25")),
}
MARTS = (*LONG_MARTS.values(), *(m for m, _, _ in WIDE_MARTS.values()))
# groupings that partition the year's population: their groups add up to the 'all' group
PARTITIONS = {"practice_themes": ("quarter", "harm_type", "category", "age_band"),
              "covid_factors": ("case_theme",), "lcspr_decision_rates": ("harm_group",)}


def denominator(figure: str, item: str) -> tuple[str, ...]:
    """The items (of the same group) a share of ``item`` is of; () when it has none."""
    if figure in ("practice_themes", "covid_factors"):
        return () if item in ("reviews", "recorded") else ("recorded",)
    if figure == "review_recording":
        return ("yes", "no") if item == "yes" else ()
    if figure == "no_lcspr_reasons":
        return () if item == "no_lcspr" else ("no_lcspr",)
    if figure == "panel_disagreement":
        return () if item == "disagrees" else ("disagrees",)
    if figure == "rapid_review_quality":
        return () if item == "assessed" else ("assessed",)
    if figure == "partnership_yearly_reports":
        return ("reports_received",) if item in ("fully", "partly", "not", "not_recorded") else ()
    if figure == "lcspr_decision_rates":
        return () if item == "notifications" else ("notifications",)
    if figure == "neglect_in_deaths":
        return ("notifications",) if item == "neglect" else ()
    if figure == "within_25_working_days":
        return ("reviews",) if item == "within_25" else ()
    return ()


def is_fixed(cell: Cell) -> bool:
    """Whether a cell is published exactly elsewhere (a national total of the v1 marts)."""
    figure, _, grouping, group, item = cell
    return (
        (figure in ("practice_themes", "covid_factors") and item == "reviews" and grouping in ("all", "quarter"))
        or (figure == "panel_disagreement" and item == "disagrees")
        or (figure == "no_lcspr_reasons" and item == "no_lcspr")
        or (figure == "lcspr_decision_rates" and (item == "notifications" or group == "all"))
        or (figure == "neglect_in_deaths" and item == "notifications")
        or figure == "within_25_working_days"
    )


def equations(rows: Iterable[Row]) -> list[Equation]:
    """Every sum a reader knows holds between the cells of ``rows``."""
    by_group: dict[tuple[str, int, str, str], dict[str, Cell]] = defaultdict(dict)
    for r in rows:
        by_group[(r.figure, r.year, r.grouping, r.group_value)][r.item] = r.cell
    out: list[Equation] = []
    parts_of: dict[tuple[str, int, str, str], list[Cell]] = defaultdict(list)
    for (figure, year, grouping, _group), items in by_group.items():
        if grouping in PARTITIONS.get(figure, ()):
            for item, cell in items.items():
                parts_of[(figure, year, grouping, item)].append(cell)
    for (figure, year, _grouping, item), parts in parts_of.items():
        total = by_group.get((figure, year, "all", "all"), {}).get(item)
        if total is not None:
            out.append((total, tuple(parts)))
    for (figure, year, grouping, group), items in by_group.items():
        def add(total: str | Cell | None, parts: Iterable[str], cells: dict[str, Cell] = items) -> None:
            t = cells.get(total) if isinstance(total, str) else total
            parts = list(parts)
            if t is not None and parts and all(p in cells for p in parts):  # a partial sum is no sum
                out.append((t, tuple(cells[p] for p in parts)))

        if figure == "review_recording":
            add(by_group.get(("practice_themes", year, "all", "all"), {}).get("reviews"), ("yes", "no", "not_recorded"))
        elif figure == "no_lcspr_reasons":
            total = by_group.get((figure, year, "question", "reason"), {}).get("no_lcspr")
            add(total, [i for i in items if i != "no_lcspr"])
        elif figure == "panel_disagreement":
            add("disagrees", [i for i in items if i != "disagrees"])
        elif figure == "rapid_review_quality":
            add("assessed", ("strong", "adequate", "weak"))
            first = by_group.get((figure, year, grouping, "analysis_and_reflection"), {}).get("assessed")
            if group != "analysis_and_reflection":
                add(first, ("assessed",))
        elif figure == "partnership_yearly_reports":
            overall = by_group.get((figure, year, "all", "all"), {})
            if grouping == "all":
                add("reports_received", ("fully", "partly", "not", "not_recorded"))
            elif "reports_received" in overall and "not_recorded" in overall:
                # each report read has a level per requirement; the others are not recorded
                out.append((overall["reports_received"],
                            (*(items[lvl] for lvl in ("fully", "partly", "not") if lvl in items),
                             overall["not_recorded"])))
    return out


# --- reading the marts, suppressing, writing ------------------------------------------------------

def read_rows(client: Any, db: str) -> list[Row]:
    rows: list[Row] = []
    for figure, mart in LONG_MARTS.items():
        for y, g, v, gp, i, ip, n in client.query(
                f"SELECT year, grouping, group_value, group_position, item, item_position, n FROM {db}.{mart}").result_rows:
            rows.append(Row(figure, int(y), g, v, int(gp), i, int(ip), int(n)))
    for figure, (mart, column, counts) in WIDE_MARTS.items():
        result = client.query(f"SELECT year, {column}, {', '.join(counts)} FROM {db}.{mart} ORDER BY year, {column}")
        totals: dict[tuple[int, str], int] = defaultdict(int)
        for position, (y, group, *values) in enumerate(result.result_rows, 1):
            for j, (item, n) in enumerate(zip(counts, values, strict=True), 1):
                rows.append(Row(figure, int(y), column, group, position, item, j, int(n)))
                totals[(int(y), item)] += int(n)
        if figure in PARTITIONS:
            for (y, item), n in totals.items():
                rows.append(Row(figure, y, "all", "all", 0, item, counts.index(item) + 1, n))
    return rows


def suppressed_rows(rows: list[Row], threshold: int) -> tuple[list[tuple[Row, bool]], set[tuple[str, int]]]:
    """Each row with whether it is suppressed, and the (figure, year) withheld (not protectable)."""
    values = {r.cell: r.n for r in rows}
    hidden, stuck = suppress(values, equations(rows), threshold, fixed=[c for c in values if is_fixed(c)])
    withheld = {(c[0], c[1]) for c in stuck}
    return [(r, r.cell in hidden) for r in rows if (r.figure, r.year) not in withheld], withheld


def viewer_rows(as_of: Any, rows: list[Row], threshold: int) -> list[list[Any]]:
    from schemas.disclosure import SUPPRESSED

    decided, withheld = suppressed_rows(rows, threshold)
    if withheld:
        log.warning("learning figures withheld (a published total too small to protect them): %s", sorted(withheld))
    shown_value = {r.cell: (r.n, hidden) for r, hidden in decided}
    out = []
    for r, hidden in decided:
        den = denominator(r.figure, r.item)
        share = None
        if den and not hidden:
            parts = [shown_value.get((r.figure, r.year, r.grouping, r.group_value, d)) for d in den]
            if all(p is not None and not p[1] for p in parts):
                share = pct(r.n, sum(p[0] for p in parts if p is not None))
        out.append([as_of, r.year, r.figure, r.grouping, r.group_value, r.group_position, r.item, r.item_position,
                    shown(r.n, hidden), hidden, share, " + ".join(den)])
    assert all(row[8] == SUPPRESSED or not row[9] for row in out)
    return out


def pct(numerator: int, denominator: int) -> float | None:
    """100 x n / d to one decimal, halves away from zero (the report's rule); None when d is 0."""
    if not denominator:
        return None
    from decimal import ROUND_HALF_UP, Decimal

    return float((Decimal(100 * numerator) / Decimal(denominator)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def publish_learning(client: Any, db: str, as_of: Any, threshold: int) -> int:
    """Write ``pub_learning`` of the learning marts in ``db`` (nothing when they are not built);
    returns the rows written."""
    present = {r[0] for r in client.query(
        "SELECT name FROM system.tables WHERE database = {db:String}", parameters={"db": db}).result_rows}
    if not set(MARTS) <= present:
        return 0
    rows = viewer_rows(as_of, read_rows(client, db), threshold)
    from infra.warehouse.viewer import replace_table  # viewer imports this module: import when used

    replace_table(client, db, TABLE, DDL, rows)
    log.info("%s.%s: %d rows, %d suppressed", db, TABLE, len(rows), sum(1 for r in rows if r[9]))
    return len(rows)
