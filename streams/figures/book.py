# Windows. The live counters are kept per notification *day*, for ever (a case stays in them
# until it is withdrawn), so any window can be read off them without re-reading events:
#
#   period change:  [from .. to] of year Y          vs  [from .. to] of year Y-1
#                   e.g. 2020-04-01..2020-09-30     vs  2019-04-01..2019-09-30   (the 27% rise)
#   timeliness:     reviews whose requested completion date (15th working day after the
#                   notification) falls in year Y, split by relaxation window; one not yet
#                   received is bucketed by the working days elapsed as at the chosen date.
#   overdue:        reviews not received whose requested completion date is before today.
"""The live figures: counters over every counted case, and the views' questions answered on them."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from schemas.calendar import (
    TIMELINESS_BUCKETS,
    in_relaxation,
    requested_completion_date,
    timeliness_bucket,
    working_days,
)
from schemas.figures import LA_BAND_NAMES, la_band, pct, year_before
from schemas.incidents import HARM_TYPES
from schemas.local_authorities import LA_CODES
from streams.cases.history import CaseState
from streams.figures.contributions import PENDING, case_as_at, contribution, pending_review


class FigureBook:
    """Counters (``key -> count``) plus the pending reviews, answering the figure questions."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.pending: dict[str, dict[str, str]] = {}

    @classmethod
    def from_cases(cls, states: Iterable[CaseState], as_at: dt.datetime | None = None) -> FigureBook:
        """Build from case states (recovery, or a view "as known at" an earlier time)."""
        book = cls()
        for state in states:
            view = case_as_at(state, as_at)
            book.apply(contribution(view))
            book.set_pending(state.subject, pending_review(view))
        return book

    def apply(self, changes: Mapping[str, int]) -> None:
        for key, delta in changes.items():
            value = self.counts[key] + delta
            if value:
                self.counts[key] = value
            else:
                del self.counts[key]

    def set_pending(self, subject: str, pending: dict[str, str] | None) -> None:
        if pending is None:
            self.pending.pop(subject, None)
        else:
            self.pending[subject] = pending

    # --- questions ---------------------------------------------------------------------------
    def notifications(self) -> dict[str, Any]:
        """Notifications by month x harm type, and by year x local authority."""
        by_month: dict[str, dict[str, int]] = {}
        by_la: dict[str, dict[str, int]] = {}
        for key, n in self.counts.items():
            kind, a, b, *_ = key.split("|")
            if kind == "n":
                month = by_month.setdefault(a[:7], dict.fromkeys(HARM_TYPES, 0))
                month[b] += n
            elif kind == "la":
                by_la.setdefault(a, {})[b] = by_la.get(a, {}).get(b, 0) + n
        for month in by_month.values():
            month["total"] = sum(month[h] for h in HARM_TYPES)
        return {"by_month": dict(sorted(by_month.items())),
                "by_local_authority": {y: dict(sorted(v.items())) for y, v in sorted(by_la.items())}}

    def notifications_between(self, start: dt.date, end: dt.date) -> int:
        lo, hi = start.isoformat(), end.isoformat()
        return sum(n for key, n in self.counts.items()
                   if key.startswith("n|") and lo <= key.split("|")[1] <= hi)

    def period_change(self, start: dt.date, end: dt.date) -> dict[str, Any]:
        """Notifications in [start, end] against the same dates a year earlier."""
        current = self.notifications_between(start, end)
        previous = self.notifications_between(year_before(start), year_before(end))
        return {"from": start.isoformat(), "to": end.isoformat(), "current": current, "previous": previous,
                "pct_change": pct(current - previous, previous)}

    def notifications_by_authority(self, year: int) -> dict[str, int]:
        """Notifications in ``year`` of each of the 151 authorities (zeros included)."""
        per_la = Counter({code: 0 for code in LA_CODES})
        for key, n in self.counts.items():
            kind, y, la, *_ = key.split("|")
            if kind == "la" and y == str(year) and la in per_la:
                per_la[la] += n
        return dict(per_la)

    def notifications_by_quarter(self) -> dict[tuple[int, int, str], int]:
        """Notifications by (year, quarter 1-4, authority), non-zero only."""
        out: dict[tuple[int, int, str], int] = {}
        for key, n in self.counts.items():
            if key.startswith("laq|"):
                _, y, q, la = key.split("|")
                out[(int(y), int(q), la)] = n
        return out

    def local_authority_bands(self, year: int) -> dict[str, int]:
        """How many of the 151 authorities fall in each band of notifications in ``year`` (exact:
        for analysts and the reconciliation; viewers get the bands of the published figures)."""
        per_la = self.notifications_by_authority(year)
        bands = dict.fromkeys(LA_BAND_NAMES, 0)
        for n in per_la.values():
            bands[la_band(n)] += 1
        return bands

    def timeliness(self, year: int, as_of: dt.date) -> dict[str, Any]:
        """Rapid-review timeliness of reviews due in ``year``; pending ones elapsed as at ``as_of``."""
        periods = ("outside_relaxation", "relaxation", "all")
        table: dict[str, Any] = {p: {b: {"received": 0, "not_received": 0} for b in TIMELINESS_BUCKETS}
                                 for p in periods}
        elapsed: dict[str, list[int]] = {"outside_relaxation": [], "relaxation": []}
        for key, n in self.counts.items():
            if not key.startswith("rr|"):
                continue
            _, notified_text, bucket, _received = key.split("|")
            notified = dt.date.fromisoformat(notified_text)
            due = requested_completion_date(notified)
            if due.year != year:
                continue
            period = "relaxation" if in_relaxation(due) else "outside_relaxation"
            status = "received"
            if bucket == PENDING:
                days = working_days(notified, as_of)
                bucket, status = timeliness_bucket(days), "not_received"
                elapsed[period] += [days] * n
            table[period][bucket][status] += n
            table["all"][bucket][status] += n
        table["not_received_working_days"] = {
            p: {"min": min(v) if v else None, "max": max(v) if v else None} for p, v in elapsed.items()}
        return table

    def overdue(self, today: dt.date) -> list[dict[str, Any]]:
        """Reviews not received whose requested completion date has passed, most overdue first."""
        rows = []
        for pending in self.pending.values():
            due = dt.date.fromisoformat(pending["requested_completion_date"])
            if today > due:
                rows.append({**pending, "working_days_overdue": working_days(due, today)})
        return sorted(rows, key=lambda r: (r["requested_completion_date"], r["subject"]))
