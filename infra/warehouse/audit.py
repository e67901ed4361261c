"""The disclosure audit: from the published viewer tables alone, can any 'c' be worked out?

Independent of the suppression code (``schemas/disclosure.py``): it knows only what a reader of
the published tables knows — every shown count, which published figure is the sum of which others
(an authority's quarters make its year; a region's authorities make the region; the regions make
England), and that a 'c' is a whole number of at least 1. For every 'c' it solves two linear
programmes (scipy's HiGHS): the smallest and the largest value the cell can take. A cell is
**protected** when its largest feasible value is above the threshold and its range is more than
one value; otherwise it is **exposed**.

The bounds are those of the linear relaxation (the cells may take fractional values), rounded
inwards to whole numbers; the integer range can only be narrower, so a cell that is exposed here
is exposed, and one reported protected is protected up to that rounding (with one equation per
published total the relaxation's vertices are integral in the tables published here).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

Cell = tuple[Any, ...]


@dataclass(frozen=True)
class Finding:
    cell: Cell
    low: float
    high: float  # math.inf when unbounded

    @property
    def text(self) -> str:
        hi = "unbounded" if math.isinf(self.high) else str(int(self.high))
        return f"{'/'.join(str(p) for p in self.cell)}: between {int(self.low)} and {hi}"


def audit_cells(values: dict[Cell, str], sums: list[tuple[Cell, list[Cell]]], threshold: int) -> list[Finding]:
    """Every 'c' cell that is exposed, with its feasible range. ``values`` maps each published cell
    to its text ('c' or digits); ``sums`` lists (total, parts) for every published total."""
    from scipy.optimize import linprog

    unknown = sorted((k for k, v in values.items() if v == "c"), key=repr)
    # connected groups of unknowns (sums with at least one unknown link them)
    parent = {k: k for k in unknown}

    def find(k: Cell) -> Cell:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    active = []
    for total, parts in sums:
        cells = [total, *parts]
        missing = [c for c in cells if c not in values]
        if missing:
            raise ValueError(f"published total {total} refers to a cell that is not published: {missing[0]}")
        u = [c for c in cells if values[c] == "c"]
        if not u:
            continue
        active.append((total, parts))
        for other in u[1:]:
            parent[find(other)] = find(u[0])
    groups: dict[Cell, list[Cell]] = defaultdict(list)
    for k in unknown:
        groups[find(k)].append(k)
    group_sums: dict[Cell, list[tuple[Cell, list[Cell]]]] = defaultdict(list)
    for total, parts in active:
        first = next(c for c in (total, *parts) if values[c] == "c")
        group_sums[find(first)].append((total, parts))

    exposed: list[Finding] = []
    for root, members in groups.items():
        index = {k: i for i, k in enumerate(members)}
        a_eq, b_eq = [], []
        for total, parts in group_sums[root]:
            row = [0.0] * len(members)
            rhs = 0.0
            for c, sign in [(total, 1.0)] + [(p, -1.0) for p in parts]:
                if values[c] == "c":
                    row[index[c]] += sign
                else:
                    rhs -= sign * int(values[c])
            a_eq.append(row)
            b_eq.append(rhs)
        # Each solution is a table consistent with everything published: a cell seen above the
        # threshold and at two different values across them needs no programme of its own.
        seen_hi = [-1.0] * len(members)
        seen_lo = [math.inf] * len(members)
        kwargs: dict[str, Any] = {"bounds": [(1, None)] * len(members), "method": "highs"}
        if a_eq:
            kwargs.update(A_eq=a_eq, b_eq=b_eq)
        for k in members:
            j = index[k]
            if seen_hi[j] > threshold + 1e-6 and seen_hi[j] - seen_lo[j] > 1e-6:
                continue
            obj = [0.0] * len(members)
            obj[j] = 1.0
            lo = linprog(obj, **kwargs)
            hi = linprog([-x for x in obj], **kwargs)
            if lo.status == 2 or hi.status == 2:
                raise ValueError(f"the published tables contradict themselves around {k}")
            for res in (lo, hi):
                if res.status == 0:
                    seen_hi = [max(a, b) for a, b in zip(seen_hi, res.x, strict=True)]
                    seen_lo = [min(a, b) for a, b in zip(seen_lo, res.x, strict=True)]
            low = math.ceil(lo.fun - 1e-6)
            high = math.inf if hi.status == 3 else math.floor(-hi.fun + 1e-6)
            if not (high > threshold and high > low):
                exposed.append(Finding(k, low, high))
    return exposed


def published_areas(la_rows: Iterable[Sequence[Any]], region_rows: Iterable[Sequence[Any]],
                    ) -> tuple[dict[Cell, str], list[tuple[Cell, list[Cell]]]]:
    """The area cells a reader sees and the sums a reader knows hold. ``la_rows``: (year, period,
    authority, region code, text); ``region_rows``: (year, period, region code, region name, text),
    England's row named 'England'."""
    values: dict[Cell, str] = {}
    la_region: dict[Cell, list[Cell]] = defaultdict(list)  # (year, period, region) -> authority cells
    periods: dict[tuple[Any, ...], dict[str, Cell]] = defaultdict(dict)  # (year, level, code) -> period -> cell
    for year, period, la, region, text in la_rows:
        cell = ("la", year, period, la)
        values[cell] = text
        la_region[(year, period, region)].append(cell)
        periods[(year, "la", la)][period] = cell
    england: dict[tuple[Any, str], Cell] = {}
    regions: dict[tuple[Any, str], list[Cell]] = defaultdict(list)
    for year, period, code, name, text in region_rows:
        level = "england" if name == "England" else "region"
        cell = (level, year, period, code)
        values[cell] = text
        periods[(year, level, code)][period] = cell
        if level == "england":
            england[(year, period)] = cell
        else:
            regions[(year, period)].append(cell)
    sums: list[tuple[Cell, list[Cell]]] = []
    for (year, period, region), parts in la_region.items():
        sums.append((("region", year, period, region), parts))
    for key, parts in regions.items():
        if key in england:
            sums.append((england[key], parts))
    for by_period in periods.values():
        if "year" in by_period and all(f"Q{q}" in by_period for q in range(1, 5)):
            sums.append((by_period["year"], [by_period[f"Q{q}"] for q in range(1, 5)]))
    return values, sums


def audit_tables(la_rows: Iterable[Sequence[Any]], region_rows: Iterable[Sequence[Any]],
                 band_rows: Iterable[Sequence[Any]], threshold: int) -> list[Finding]:
    """Exposed cells of the published tables (empty: every 'c' is protected). The band table is
    checked too: its counts must be exactly what the authority table shows (the exact count of
    authorities with 1..threshold would tell a reader how many 'c' cells are primary)."""
    values, sums = published_areas(la_rows, region_rows)
    findings = audit_cells(values, sums, threshold)
    shown_bands: dict[tuple[Any, str], int] = defaultdict(int)
    for (level, year, period, _), text in values.items():
        if level == "la" and period == "year":
            band = text if text in ("0", "c") else ("7+" if int(text) >= 7 else f"{threshold + 1}-6")
            shown_bands[(year, band)] += 1
    for year, band, n in band_rows:
        if n != shown_bands.get((year, band), 0):
            findings.append(Finding(("bands", year, band), n, n))
    return findings


def audit(client: Any, database: str, threshold: int) -> list[Finding]:
    """``audit_tables`` on the viewer tables of ``database``, read as a viewer reads them, and
    ``audit_learning`` on its learning table when it has one."""
    def q(sql: str) -> list[Any]:
        return list(client.query(sql).result_rows)

    learning = q(f"SELECT count() FROM system.tables WHERE database = '{database}' AND name = 'pub_learning'")[0][0]
    return (audit_learning(client, database, threshold) if learning else []) + audit_tables(
        q(f"SELECT year, period, local_authority, region_code, notifications FROM {database}.pub_local_authority_notifications"),
        q(f"SELECT year, period, region_code, region_name, notifications FROM {database}.pub_region_notifications"),
        q(f"SELECT year, band, local_authorities FROM {database}.pub_notifications_per_la_band"),
        threshold,
    )


# --- the learning figures (pub_learning) ---------------------------------------------------------

# Groupings whose groups are a partition of the year's population: the groups add up to 'all'.
LEARNING_PARTITIONS = {"practice_themes": ("quarter", "harm_type", "category", "age_band"),
                       "covid_factors": ("case_theme",), "lcspr_decision_rates": ("harm_group",)}


def learning_sums(values: dict[Cell, str]) -> list[tuple[Cell, list[Cell]]]:
    """The sums a reader of ``pub_learning`` knows hold (from producers/reference/LEARNING.md's
    definitions), over cells (figure, year, grouping, group_value, item)."""
    groups: dict[tuple[Any, ...], dict[str, Cell]] = defaultdict(dict)
    for cell in values:
        figure, year, grouping, group, item = cell
        groups[(figure, year, grouping, group)][item] = cell
    sums: list[tuple[Cell, list[Cell]]] = []

    def total(figure: str, year: Any, grouping: str, group: str, item: str) -> Cell | None:
        return groups.get((figure, year, grouping, group), {}).get(item)

    def add(t: Cell | None, parts: Iterable[Cell | None]) -> None:
        ps = list(parts)
        if t is not None and ps and all(p is not None for p in ps):  # a partial sum is no sum
            sums.append((t, [p for p in ps if p is not None]))

    partition_parts: dict[tuple[Any, ...], list[Cell]] = defaultdict(list)
    for (figure, year, grouping, _group), items in groups.items():
        if grouping in LEARNING_PARTITIONS.get(figure, ()):
            for item, cell in items.items():
                partition_parts[(figure, year, grouping, item)].append(cell)
    for (figure, year, _grouping, item), parts in partition_parts.items():
        add(total(figure, year, "all", "all", item), parts)
    for (figure, year, grouping, group), items in groups.items():
        if figure == "review_recording":
            add(total("practice_themes", year, "all", "all", "reviews"),
                [items.get(i) for i in ("yes", "no", "not_recorded")])
        elif figure == "no_lcspr_reasons":
            add(total(figure, year, "question", "reason", "no_lcspr"), [c for i, c in items.items() if i != "no_lcspr"])
        elif figure == "panel_disagreement":
            add(items.get("disagrees"), [c for i, c in items.items() if i != "disagrees"])
        elif figure == "rapid_review_quality":
            add(items.get("assessed"), [items.get(i) for i in ("strong", "adequate", "weak")])
            add(total(figure, year, grouping, "analysis_and_reflection", "assessed"),
                [] if group == "analysis_and_reflection" else [items.get("assessed")])
        elif figure == "partnership_yearly_reports":
            received = total(figure, year, "all", "all", "reports_received")
            unread = total(figure, year, "all", "all", "not_recorded")
            levels = [items.get(i) for i in ("fully", "partly", "not")]
            add(received, [*levels, unread])
        elif figure == "lcspr_decision_rates":  # published without its other decisions: none of their own
            add(items.get("notifications"), [items.get(i) for i in ("lcspr", "no_lcspr", "undecided")])
    return sums


def audit_learning_rows(rows: Iterable[Sequence[Any]], threshold: int) -> list[Finding]:
    """Exposed cells of ``pub_learning`` rows (figure, year, grouping, group_value, item, value,
    pct, denominator), and any share shown beside a suppressed count or denominator (a share and
    the count beside it give the other back)."""
    rows = list(rows)
    values: dict[Cell, str] = {(f, y, g, v, i): text for f, y, g, v, i, text, _, _ in rows}
    findings = audit_cells(values, learning_sums(values), threshold)
    for f, y, g, v, i, text, share, den in rows:
        if share is None:
            continue
        needed = [text, *(values.get((f, y, g, v, d), "c") for d in den.split(" + ") if d)]
        if "c" in needed:
            findings.append(Finding(("share", f, y, g, v, i), float(share), float(share)))
    return findings


def audit_learning(client: Any, database: str, threshold: int) -> list[Finding]:
    """``audit_learning_rows`` on ``pub_learning`` of ``database``, read as a viewer reads it."""
    return audit_learning_rows(client.query(
        f"SELECT figure, year, grouping, group_value, item, value, pct, denominator FROM {database}.pub_learning"
    ).result_rows, threshold)
