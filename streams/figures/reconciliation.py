"""The stream's figures as rows, for dbt to reconcile with the marts (rpt_stream_reconciliation).

``figure_rows(book, as_of)`` reads every figure that both the stream (``FigureBook``)
and the marts compute and lays it out long: ``(figure, year, dimension, value)``; ``snapshot_rows(book, as_of,
taken_at)`` stamps them as ``stream_figures`` rows. Nothing here
computes a figure: each value is what a ``FigureBook`` question answers. The worker writes the
rows into ``{db}.stream_figures`` (``streams.figures.snapshots``); the mart lays the marts out the
same way and compares row by row.

    figure                    year          dimension                         mart
    notifications             year          harm type or 'total'              rpt_notifications
    notifications_by_la       year          local authority code              fct_local_authority_notifications
    period_change             year          '04-01..09-30|current|previous'   rpt_period_change
    timeliness_received       due year      period|bucket                     rpt_rapid_review_timeliness
    timeliness_not_received   due year      period|bucket (elapsed to as_of)  rpt_rapid_review_timeliness
    overdue                   0 (no year)   'reviews'                         rpt_overdue_rapid_reviews
    accepted_events           0 (no year)   'events'                          rpt_event_freshness

The worker writes one snapshot per inbound partition (``partition``: its cases' figures), and the
reconciliation sums each partition's latest snapshot, so every figure here must be a sum over
cases. The authority bands (``rpt_notifications_per_la_band``) are not: an authority's cases
span partitions, and only the summed per-authority counts say its band. They are left out of the
snapshot and the comparison; ``notifications_by_la`` compares every authority's count, from
which the marts' bands follow by the marts' own rule.

``accepted_events`` is not a report figure but what the snapshot saw: every event the stream had
accepted (the sum of its cases' last case_seq). The marts compare with the snapshot only when
they were built from the same events (the raw store's count equals it): a snapshot taken before
a burst that a build then read is not a disagreement, only out of step.

Years: the marts' grid (2018, the contract's earliest year, to the year after ``as_of``) plus
any other year the stream counts, every cell written even when 0, so a figure one side has and
the other lacks shows up as a difference.

The two ``timeliness_not_received`` and ``overdue`` figures depend on the date they are read at
(working days elapsed to ``as_of``): they compare only when the marts were built for the same date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, NamedTuple

from schemas.calendar import TIMELINESS_BUCKETS, requested_completion_date
from schemas.figures import PERIOD_FROM, PERIOD_TO, comparison_period
from schemas.incidents import HARM_TYPES
from schemas.local_authorities import LA_CODES
from streams.cases.history import CaseState
from streams.figures.book import FigureBook

FIRST_YEAR = 2018
PERIODS = ("outside_relaxation", "relaxation", "all")
FIGURES = ("notifications", "notifications_by_la", "period_change",
           "timeliness_received", "timeliness_not_received", "overdue", "accepted_events")
DATE_DEPENDENT = frozenset({"timeliness_not_received", "overdue"})
COLUMNS = ("taken_at", "as_of", "figure", "year", "dimension", "value", "partition")


class FigureRow(NamedTuple):
    figure: str
    year: int
    dimension: str
    value: int


def years_of(book: FigureBook, as_of: dt.date) -> list[int]:
    """The marts' years (2018 .. the year after as_of) and every year the book counts anything in."""
    years = set(range(FIRST_YEAR, as_of.year + 2))
    for key in book.counts:
        kind, a, *_ = key.split("|")
        if kind == "n":
            years.add(int(a[:4]))
        elif kind == "la":
            years.add(int(a))
        elif kind == "rr":
            years.add(requested_completion_date(dt.date.fromisoformat(a)).year)
    return sorted(years)


def accepted_events(states: Iterable[CaseState]) -> int:
    """How many events the stream has accepted in these case states (each state's last case_seq)."""
    return sum(state.seq for state in states)


def figure_rows(book: FigureBook, as_of: dt.date, accepted: int | None = None) -> list[FigureRow]:
    """Every figure both sides compute, as (figure, year, dimension, value) rows; with
    ``accepted``, the accepted_events row too."""
    rows: list[FigureRow] = []
    years = years_of(book, as_of)
    notes = book.notifications()
    by_year: dict[int, dict[str, int]] = {y: dict.fromkeys((*HARM_TYPES, "total"), 0) for y in years}
    for month, counts in notes["by_month"].items():
        for harm, n in counts.items():
            by_year[int(month[:4])][harm] += n
    by_la = notes["by_local_authority"]
    period_key = f"{PERIOD_FROM}..{PERIOD_TO}"
    for year in years:
        rows += [FigureRow("notifications", year, h, n) for h, n in by_year[year].items()]
        la_counts = by_la.get(str(year), {})
        rows += [FigureRow("notifications_by_la", year, code, la_counts.get(code, 0))
                 for code in sorted({*LA_CODES, *la_counts})]
        change = book.period_change(*comparison_period(year))
        rows += [FigureRow("period_change", year, f"{period_key}|{side}", change[side])
                 for side in ("current", "previous")]
        table = book.timeliness(year, as_of)
        for period in PERIODS:
            for bucket in TIMELINESS_BUCKETS:
                cell = table[period][bucket]
                rows.append(FigureRow("timeliness_received", year, f"{period}|{bucket}", cell["received"]))
                rows.append(FigureRow("timeliness_not_received", year, f"{period}|{bucket}", cell["not_received"]))
    rows.append(FigureRow("overdue", 0, "reviews", len(book.overdue(as_of))))
    if accepted is not None:
        rows.append(FigureRow("accepted_events", 0, "events", accepted))
    return rows


def snapshot_rows(book: FigureBook, as_of: dt.date, taken_at: dt.datetime,
                  accepted: int | None = None, partition: int = 0) -> list[list[Any]]:
    """One partition's snapshot as ``stream_figures`` rows (``COLUMNS`` order): ``figure_rows``
    of that partition's cases (``book``), stamped with the date they were read at, when, and the
    inbound partition."""
    return [[taken_at, as_of, r.figure, r.year, r.dimension, r.value, partition]
            for r in figure_rows(book, as_of, accepted)]
