"""Disclosure control for published counts: primary and secondary suppression across linked tables.

Every output a viewer can reach (the viewer tables Grafana reads, the briefing, the CSV export,
the worker's live views) shows counts of notifications by area through this one function, so a
figure is suppressed the same way wherever it appears in one vintage.

The rules follow the DfE's serious incident notification release (its data guidance: 'c' "to
protect confidentiality — secondary suppression may also be applied"; "where any number is shown
as zero, the original figure submitted was zero"; national and authority figures unrounded) and
the usual practice for linked tables (GSS/ONS guidance; the protection-interval audit of the US
FCSM's Working Paper 22). DfE rounds its regional figures to the nearest 10 instead; here regions
are suppressed like authorities, so every published total is exact and the audit can check it:

- **Primary suppression**: a count from 1 to ``threshold`` is shown as ``c``; zeros are shown
  (they disclose nothing about a child). National (England) figures are published exactly.
- **Secondary suppression**: the published tables share cells (an authority's quarters add up to
  its year, an authority's year is part of its region's, the regions add up to England), so a
  ``c`` could be worked out, or narrowed down, by subtraction from the totals beside it. Further
  cells are suppressed until every ``c`` cell's feasible range, given every published total and
  the knowledge that a ``c`` is at least 1, reaches above the threshold and is not one value.
  Candidates are the smallest non-zero shown cells (fewest and least informative cells lost).

The model is generic: ``values`` maps a cell's key to its count; ``equations`` says which cell is
the sum of which others (every published total with its parts). The check here is a linear
programme per suppressed cell (scipy's HiGHS), over the connected groups of suppressed cells. The
audit (``infra/warehouse/audit.py``) checks the published tables independently of this code.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from schemas.figures import LA_BANDS, la_band

Key = tuple[Any, ...]  # a cell: any tuple (the area tables: (year, period, level, code))
Equation = tuple[Key, tuple[Key, ...]]  # (total, parts): total == sum(parts)
Cell = Key

SUPPRESSED = "c"


def shown(value: int, suppressed: bool) -> str:
    """A count as published: 'c' when suppressed, else its digits."""
    return SUPPRESSED if suppressed else str(value)


def primary(values: Mapping[Key, int], threshold: int, fixed: Iterable[Key] = ()) -> set[Key]:
    keep = set(fixed)
    return {k for k, v in values.items() if 1 <= v <= threshold and k not in keep}


def suppress(
    values: Mapping[Key, int], equations: Sequence[Equation], threshold: int, fixed: Iterable[Key] = (),
) -> tuple[frozenset[Key], frozenset[Key]]:
    """The cells to show as 'c' — primary suppression, then secondary until no 'c' can be narrowed
    to the threshold or below (or pinned) from the published totals — and the cells that cannot be
    protected at all (a ``fixed`` total too small: the caller must not publish them). ``fixed``
    cells are published whatever their value (the national figures)."""
    fixed = frozenset(fixed)
    hidden = primary(values, threshold, fixed)
    by_cell: dict[Key, list[int]] = defaultdict(list)
    for i, (total, parts) in enumerate(equations):
        for k in (total, *parts):
            by_cell[k].append(i)
    checked: set[frozenset[Key]] = set()  # groups found protected: unchanged, they stay so
    for _ in range(100_000):
        if _per_equation(values, equations, threshold, fixed, hidden):
            continue
        changed = False
        stuck: set[Key] = set()
        for group, eqs in _groups(equations, by_cell, hidden):
            if group in checked:
                continue
            exposed = _exposed(group, eqs, values, equations, threshold)
            if not exposed:
                checked.add(group)
                continue
            # one more suppression near each exposed cell (a big group is re-solved once for many)
            near = (_candidate_near(cell, values, equations, by_cell, fixed, hidden) for cell in exposed)
            picks = {pick for pick in near if pick is not None}
            if not picks:
                stuck |= group
            else:
                hidden |= picks
                changed = True
        if not changed:  # all protected, or nothing left to suppress
            return frozenset(hidden), frozenset(stuck)
    raise RuntimeError("secondary suppression did not converge")


def _groups(equations: Sequence[Equation], by_cell: Mapping[Key, list[int]],
            hidden: set[Key]) -> list[tuple[frozenset[Key], list[int]]]:
    """Connected groups of suppressed cells (linked by an equation), with their equations."""
    seen: set[Key] = set()
    out = []
    for start in sorted(hidden, key=repr):
        if start in seen:
            continue
        group, eqs, todo = {start}, set(), [start]
        while todo:
            k = todo.pop()
            for i in by_cell.get(k, ()):
                if i in eqs:
                    continue
                eqs.add(i)
                total, parts = equations[i]
                for m in (total, *parts):
                    if m in hidden and m not in group:
                        group.add(m)
                        todo.append(m)
        seen |= group
        out.append((frozenset(group), sorted(eqs)))
    return out


def _candidate_near(cell: Key, values: Mapping[Key, int], equations: Sequence[Equation],
                    by_cell: Mapping[Key, list[int]], fixed: frozenset[Key], hidden: set[Key]) -> Key | None:
    """The smallest non-zero shown part of an equation nearest the exposed cell (its own first,
    then those of the suppressed cells it is linked to); a total only when no part is left."""
    seen_eq: set[int] = set()
    frontier, seen_cells = [cell], {cell}
    totals: list[Key] = []
    while frontier:
        options: list[Key] = []
        nxt: list[Key] = []
        for k in frontier:
            for i in by_cell.get(k, ()):
                if i in seen_eq:
                    continue
                seen_eq.add(i)
                total, parts = equations[i]
                options += [p for p in parts if p not in hidden and p not in fixed and values[p] > 0]
                if total not in hidden and total not in fixed and values[total] > 0:
                    totals.append(total)
                for m in (total, *parts):
                    if m in hidden and m not in seen_cells:
                        seen_cells.add(m)
                        nxt.append(m)
        if options:
            return min(options, key=lambda p: (values[p], repr(p)))
        frontier = nxt
    return min(totals, key=lambda p: (values[p], repr(p))) if totals else None


def _candidate(values: Mapping[Key, int], equation: Equation, fixed: frozenset[Key], hidden: set[Key]) -> Key | None:
    total, parts = equation
    shown_parts = [p for p in parts if p not in hidden and p not in fixed and values[p] > 0]
    if shown_parts:
        return min(shown_parts, key=lambda p: (values[p], repr(p)))
    if total not in hidden and total not in fixed and values[total] > 0:
        return total
    return None


def _per_equation(values: Mapping[Key, int], equations: Sequence[Equation], threshold: int,
                  fixed: frozenset[Key], hidden: set[Key]) -> bool:
    """One cheap pass of the rule each equation needs on its own: when its total is shown, its
    suppressed parts number 0 or at least 2 and share enough that each could be above the
    threshold (residual - (k - 1) > threshold); when its total is suppressed, not every part is
    shown. Returns whether a cell was added."""
    changed = False
    for total, parts in equations:
        hid = [p for p in parts if p in hidden]
        if total in hidden:
            if not hid and any(values[p] > 0 for p in parts):
                pick = _candidate(values, (total, parts), fixed, hidden)
                if pick is not None and pick != total:
                    hidden.add(pick)
                    changed = True
            continue
        if not hid:
            continue
        residual = sum(values[p] for p in hid)
        while len(hid) < 2 or residual - (len(hid) - 1) <= threshold:
            pick = _candidate(values, (total, parts), fixed, hidden)
            if pick is None:
                break
            hidden.add(pick)
            changed = True
            if pick == total:
                break
            hid.append(pick)
            residual += values[pick]
    return changed


def _exposed(group: frozenset[Key], eqs: Sequence[int], values: Mapping[Key, int],
             equations: Sequence[Equation], threshold: int) -> list[Key]:
    """The cells of the group whose range, given every published total, is not above the
    threshold at its top or is one value (a linear programme per bound, on the group only)."""
    from scipy.optimize import linprog

    if not eqs:  # in no published sum (a figure standing alone): a 'c' is bounded by nothing
        return []
    order = sorted(group, key=repr)
    index = {k: j for j, k in enumerate(order)}
    rows, rhs = [], []
    for i in eqs:
        total, parts = equations[i]
        row = [0.0] * len(order)
        const = 0.0
        for m, sign in ((total, 1.0), *((p, -1.0) for p in parts)):
            if m in index:
                row[index[m]] += sign
            else:
                const -= sign * values[m]
        rows.append(row)
        rhs.append(const)
    bounds = [(1, None)] * len(order)
    # Every solution found is a feasible table: a cell seen above the threshold and at two values
    # in them is protected without a programme of its own (most cells, after the first few).
    seen_hi = [-1.0] * len(order)
    seen_lo = [float("inf")] * len(order)

    def note(x: Sequence[float]) -> None:
        for j, v in enumerate(x):
            seen_hi[j] = max(seen_hi[j], v)
            seen_lo[j] = min(seen_lo[j], v)

    exposed: list[Key] = []
    # smallest values first: they are the ones a total pins
    for cell in sorted(order, key=lambda k: (values[k], repr(k))):
        j = index[cell]
        if seen_hi[j] > threshold + 1e-6 and seen_hi[j] - seen_lo[j] > 1e-6:
            continue
        objective = [0.0] * len(order)
        objective[j] = -1.0
        high = linprog(objective, A_eq=rows, b_eq=rhs, bounds=bounds, method="highs")
        if high.status == 3:  # unbounded above: not pinned either
            continue
        if high.status != 0 or -high.fun <= threshold + 1e-6:
            exposed.append(cell)
            continue
        note(high.x)
        if seen_hi[j] - seen_lo[j] > 1e-6:
            continue
        objective[j] = 1.0
        low = linprog(objective, A_eq=rows, b_eq=rhs, bounds=bounds, method="highs")
        if low.status != 0 or -high.fun - low.fun <= 1e-6:
            exposed.append(cell)
            continue
        note(low.x)
    return exposed


# --- the notifications tables: authority, region, England x quarter, year ----------------------

PERIODS = ("Q1", "Q2", "Q3", "Q4", "year")
ENGLAND = "E92000001"


def area_cells(counts: Mapping[tuple[int, int, str], int], regions: Mapping[str, str]) -> dict[Cell, int]:
    """Every published cell from counts by (year, quarter 1-4, authority code): authority, region
    and England (``ENGLAND``) by quarter and by year; zeros included for every authority given."""
    cells: dict[Cell, int] = defaultdict(int)
    years = {y for y, _, _ in counts}
    for y in years:
        for la, region in regions.items():
            for q in range(1, 5):
                n = counts.get((y, q, la), 0)
                for area in (("la", la), ("region", region), ("england", ENGLAND)):
                    cells[(y, f"Q{q}", *area)] += n
                    cells[(y, "year", *area)] += n
    return dict(cells)


def area_equations(years: Iterable[int], regions: Mapping[str, str], quarters: bool = True) -> list[Equation]:
    """Every total the area tables publish, with its parts (``quarters``: authorities and regions
    by quarter too, else by year only; England's quarters are always published)."""
    by_region: dict[str, list[str]] = defaultdict(list)
    for la, region in sorted(regions.items()):
        by_region[region].append(la)
    eqs: list[Equation] = []
    for y in sorted(years):
        areas = [("la", la) for la in sorted(regions)] + [("region", r) for r in sorted(by_region)] + [
            ("england", ENGLAND)]
        for area in areas if quarters else areas[-1:]:  # quarters add up to the year
            eqs.append(((y, "year", *area), tuple((y, f"Q{q}", *area) for q in range(1, 5))))
        for p in PERIODS if quarters else ("year",):
            for r, las in sorted(by_region.items()):
                eqs.append(((y, p, "region", r), tuple((y, p, "la", la) for la in las)))
            eqs.append(((y, p, "england", ENGLAND), tuple((y, p, "region", r) for r in sorted(by_region))))
    return eqs


def suppress_areas(counts: Mapping[tuple[int, int, str], int], regions: Mapping[str, str],
                   threshold: int) -> tuple[dict[Cell, tuple[int, bool]], frozenset[int]]:
    """Notifications by authority, region and England, by quarter and year, with secondary
    suppression across all of them: ``{(year, period, level, code): (count, suppressed)}`` with
    period 'Q1'..'Q4' or 'year' and level 'la', 'region' or 'england' (never suppressed), and the
    years whose areas cannot be published at all.

    Years share no published total, so each is solved on its own. England's figures are published
    exactly (as the national marts do), so a suppressed count may be impossible to protect: when
    a year's quarters are too sparse (most authorities' quarters 0 or 1, so England's quarter
    total leaves no room), its authorities and regions are published by year only; when even
    that cannot be protected (a national total itself within the threshold), the year has no
    authority or region figures at all (its England rows only)."""
    by_year: dict[int, dict[tuple[int, int, str], int]] = defaultdict(dict)
    for key, n in counts.items():
        by_year[key[0]][key] = n
    out: dict[Cell, tuple[int, bool]] = {}
    withheld: set[int] = set()
    area_key = frozenset(regions.items())
    for year, year_counts in sorted(by_year.items()):
        solved = (threshold, area_key, frozenset(year_counts.items()))
        answer = _SOLVED.get(solved)  # threads share it (the worker's views and its builds)
        if answer is None:
            answer = _SOLVED[solved] = _suppress_year(year, year_counts, regions, threshold)
            while len(_SOLVED) > SOLVED_KEPT:
                _SOLVED.pop(next(iter(_SOLVED)), None)
        cells, withheld_year = answer
        out.update(cells)
        if withheld_year:
            withheld.add(year)
    return out, frozenset(withheld)


# A year's answer depends only on its own counts, the areas and the threshold: a process that
# publishes again after a change in one year (the worker's build after new events) solves that
# year's linear programmes again, not every year's.
SOLVED_KEPT = 64
_SOLVED: OrderedDict[tuple[int, frozenset[tuple[str, str]], frozenset[tuple[tuple[int, int, str], int]]],
                     tuple[dict[Cell, tuple[int, bool]], bool]] = OrderedDict()


def _suppress_year(year: int, year_counts: Mapping[tuple[int, int, str], int], regions: Mapping[str, str],
                   threshold: int) -> tuple[dict[Cell, tuple[int, bool]], bool]:
    """One year's cells (count, suppressed), and whether its areas are withheld."""
    every = area_cells(year_counts, regions)
    for quarters in (True, False):
        cells = {k: v for k, v in every.items() if quarters or k[1] == "year" or k[2] == "england"}
        fixed = [k for k in cells if k[2] == "england"]
        hidden, stuck = suppress(cells, area_equations({year}, regions, quarters), threshold, fixed)
        if not stuck:
            return {k: (v, k in hidden) for k, v in cells.items()}, False
    return {k: (v, False) for k, v in every.items() if k[2] == "england"}, True

def bands(threshold: int) -> tuple[str, ...]:
    """The bands of a *published* authority-year figure: the exact 1..threshold band would tell
    a reader how many 'c' cells are primary, so 'c' is a band of its own."""
    (zero, _, _), (_, _, below_top), (top, _, _) = LA_BANDS[0], LA_BANDS[-2], LA_BANDS[-1]
    assert below_top is not None
    return (zero, SUPPRESSED, f"{threshold + 1}-{below_top}" if threshold < below_top else "none", top)


def band_of(text: str, threshold: int) -> str:
    """The band of a published figure ('0', 'c' or digits)."""
    if text in ("0", SUPPRESSED):
        return text
    return bands(threshold)[3] if la_band(int(text)) == LA_BANDS[-1][0] else bands(threshold)[2]

