"""Every figure of the acceptance README, for any year Y and report date T, from replayed events.

Read with ``README.md`` beside it: it writes down the readings taken where the definitions
leave a choice. Each figure is one small function over ``CaseAsAt`` objects: the cases known
at T, not withdrawn by T, with their incident fields folded from the corrections known at T.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from producers.reference.history import AcceptedEvent, Replay, fold_incident, replay
from schemas.calendar import (
    TIMELINESS_BUCKETS,
    in_relaxation,
    requested_completion_date,
    timeliness_bucket,
    working_days,
)
from schemas.figures import LA_BANDS, PERIOD_FROM, PERIOD_TO, comparison_period, la_band, pct
from schemas.incidents import (
    CASE_CHARACTERISTICS,
    COURT_ORDERS,
    DEATH_CATEGORIES,
    ETHNICITIES,
    GENDERS,
    HARM_TYPES,
    KNOWN_TO_CSC,
    LIVING_SITUATIONS,
    NON_FATAL_CATEGORIES,
    SUBCATEGORIES,
)
from schemas.lcsprs import PUBLICATION_INTENTS
from schemas.local_authorities import LOCAL_AUTHORITIES

AGE_BANDS = (("under_1", 0, 0), ("1_to_4", 1, 4), ("5_to_9", 5, 9), ("10_to_14", 10, 14), ("15_to_17", 15, 17))
NON_FATAL_HARMS = ("serious_harm", "other")


def end_of(day: dt.date) -> dt.datetime:
    """T as an instant: the last microsecond of the report date, in UTC."""
    return dt.datetime.combine(day, dt.time.max, tzinfo=dt.UTC)


def age_band(age: int) -> str:
    return next(name for name, lo, hi in AGE_BANDS if lo <= age <= hi)


@dataclass
class CaseAsAt:
    """One case as known at T: its folded incident fields and its later events in order."""

    subject: str
    la: str
    incident: dict[str, Any]
    events: dict[str, list[Any]] = field(default_factory=dict)  # short type -> events by (time, seq)

    def of(self, short_type: str) -> list[Any]:
        return self.events.get(short_type, [])

    def first(self, short_type: str) -> Any | None:
        found = self.of(short_type)
        return found[0] if found else None

    def latest(self, *short_types: str) -> Any | None:
        found = [a for t in short_types for a in self.of(t)]
        return max(found, key=lambda a: a.order) if found else None

    @property
    def harm(self) -> str:
        return str(self.incident["harm_type"])

    @property
    def notified_date(self) -> dt.date:
        return self.incident["notified_date"]  # type: ignore[no-any-return]


def cases_as_at(accepted: Iterable[AcceptedEvent], as_of: dt.date) -> list[CaseAsAt]:
    """Cases whose notification is known at T and which are not withdrawn by T."""
    cutoff = end_of(as_of)
    by_subject: dict[str, list[AcceptedEvent]] = {}
    for a in accepted:
        if a.effective and a.event.time <= cutoff:
            by_subject.setdefault(a.event.subject, []).append(a)
    cases = []
    for subject, events in by_subject.items():
        events.sort(key=lambda a: a.order)
        grouped: dict[str, list[Any]] = {}
        for a in events:
            grouped.setdefault(a.event.short_type, []).append(a)
        if "incident.notified" not in grouped or "incident.withdrawn" in grouped:
            continue
        notification = grouped["incident.notified"][0].event
        incident = fold_incident(notification, grouped.get("incident.corrected", []))
        cases.append(CaseAsAt(subject, notification.data.local_authority, incident, grouped))
    return cases


def compute_figures(lines: Iterable[bytes | str], year: int, as_of: dt.date) -> dict[str, Any]:
    """The acceptance JSON for year Y as known at T, from events in arrival order."""
    return figures_from_replay(replay(lines), year, as_of)


def figures_from_replay(result: Replay, year: int, as_of: dt.date) -> dict[str, Any]:
    cases = cases_as_at(result.accepted, as_of)
    in_year = [c for c in cases if c.notified_date.year == year]
    return {
        "year": year,
        "as_of": as_of.isoformat(),
        "notifications": notifications(in_year),
        "children": children(in_year),
        "imd_quintile": imd_quintile(in_year),
        "death_categories": death_categories(in_year),
        "maltreatment_related_subcategories": maltreatment_related_subcategories(in_year),
        "non_fatal_categories": non_fatal_categories(in_year),
        "case_characteristics": case_characteristics(in_year),
        "service_involvement": service_involvement(in_year),
        "notifications_per_local_authority": notifications_per_local_authority(in_year),
        "period_change": period_change(cases, year),
        "rapid_review_timeliness": rapid_review_timeliness(cases, year, as_of),
        "rapid_reviews_received_in_year": len(reviews_received_in_year(cases, year)),
        "panel_feedback": panel_feedback(reviews_received_in_year(cases, year)),
        "lcspr_decisions": lcspr_decisions(in_year),
        "lcspr_initiated_by_year": lcspr_initiated_by_year(cases, year),
        "lcspr_reports": lcspr_reports(cases, year),
    }


def _by_harm(counter: Counter[tuple[str, str]], values: tuple[str, ...], harms: tuple[str, ...] = HARM_TYPES
             ) -> dict[str, dict[str, int]]:
    return {v: {h: counter[(v, h)] for h in harms} for v in values}


def notifications(cases: list[CaseAsAt]) -> dict[str, int]:
    counts = Counter(c.harm for c in cases)
    return {"total": len(cases), **{h: counts[h] for h in HARM_TYPES}}


def children(cases: list[CaseAsAt]) -> dict[str, Any]:
    kids = [child for c in cases for child in c.incident["children"]]
    gender, ethnicity = Counter(k.gender for k in kids), Counter(k.ethnicity for k in kids)
    bands = Counter(age_band(k.age_years) for k in kids)
    return {
        "total": len(kids),
        "gender": {g: gender[g] for g in GENDERS},
        "age_band": {name: bands[name] for name, _, _ in AGE_BANDS},
        "ethnicity": {e: ethnicity[e] for e in ETHNICITIES},
    }


def imd_quintile(cases: list[CaseAsAt]) -> dict[str, int]:
    counts = Counter(c.incident["imd_quintile"] for c in cases)
    return {**{str(q): counts[q] for q in range(1, 6)}, "not_recorded": counts[None]}


def death_categories(cases: list[CaseAsAt]) -> dict[str, int]:
    counts = Counter(c.incident["category"] for c in cases if c.harm == "death")
    return {cat: counts[cat] for cat in DEATH_CATEGORIES}


def maltreatment_related_subcategories(cases: list[CaseAsAt]) -> dict[str, int]:
    counts = Counter(c.incident["subcategory"] for c in cases
                     if c.harm == "death" and c.incident["category"] == "maltreatment_related_death")
    return {sub: counts[sub] for sub in SUBCATEGORIES}


def non_fatal_categories(cases: list[CaseAsAt]) -> dict[str, dict[str, int]]:
    counts = Counter((c.incident["category"], c.harm) for c in cases if c.harm != "death")
    return _by_harm(counts, NON_FATAL_CATEGORIES, NON_FATAL_HARMS)


def case_characteristics(cases: list[CaseAsAt]) -> dict[str, dict[str, int]]:
    counts = Counter((ch, c.harm) for c in cases for ch in set(c.incident["case_characteristics"]))
    return _by_harm(counts, CASE_CHARACTERISTICS)


def service_involvement(cases: list[CaseAsAt]) -> dict[str, dict[str, dict[str, int]]]:
    out = {}
    for name, values in (("known_to_csc", KNOWN_TO_CSC), ("court_order", COURT_ORDERS),
                         ("living_situation", LIVING_SITUATIONS)):
        counts = Counter((getattr(c.incident["service_involvement"], name), c.harm) for c in cases)
        out[name] = _by_harm(counts, values)
    return out


def notifications_per_local_authority(cases: list[CaseAsAt]) -> dict[str, int]:
    per_la = Counter(c.la for c in cases)
    bands = Counter(la_band(per_la[la.code]) for la in LOCAL_AUTHORITIES)
    return {name: bands[name] for name, _, _ in LA_BANDS}


def period_change(cases: list[CaseAsAt], year: int) -> dict[str, Any]:
    def in_period(y: int) -> int:
        lo, hi = comparison_period(y)
        return sum(lo <= c.notified_date <= hi for c in cases)

    current, previous = in_period(year), in_period(year - 1)
    change = pct(current - previous, previous)
    return {"from": PERIOD_FROM, "to": PERIOD_TO, "current": current, "previous": previous, "pct_change": change}


def rapid_review_timeliness(cases: list[CaseAsAt], year: int, as_of: dt.date) -> dict[str, Any]:
    periods = ("outside_relaxation", "relaxation", "all")
    table = {p: {b: {"received": 0, "not_received": 0} for b in TIMELINESS_BUCKETS} for p in periods}
    elapsed_not_received: dict[str, list[int]] = {"outside_relaxation": [], "relaxation": []}
    for c in cases:
        due = requested_completion_date(c.notified_date)
        if due.year != year:
            continue
        period = "relaxation" if in_relaxation(due) else "outside_relaxation"
        first = c.first("rapid_review.submitted")
        if first is not None:
            status, elapsed = "received", working_days(c.notified_date, first.event.data.received_date)
        else:
            status, elapsed = "not_received", working_days(c.notified_date, as_of)
            elapsed_not_received[period].append(elapsed)
        for p in (period, "all"):
            table[p][timeliness_bucket(elapsed)][status] += 1
    extremes = {p: {"min": min(v, default=None), "max": max(v, default=None)} for p, v in elapsed_not_received.items()}
    return {**table, "not_received_working_days": extremes}


def reviews_received_in_year(cases: list[CaseAsAt], year: int) -> list[CaseAsAt]:
    """Cases whose first rapid_review.submitted has received_date in Y (any notification year)."""
    out = []
    for c in cases:
        first = c.first("rapid_review.submitted")
        if first is not None and first.event.data.received_date.year == year:
            out.append(c)
    return out


def panel_feedback(reviewed: list[CaseAsAt]) -> dict[str, Any]:
    latest = [c.latest("panel.feedback_issued") for c in reviewed]
    agrees = sum(1 for f in latest if f is not None and f.event.data.agrees_with_decision)
    disagrees = sum(1 for f in latest if f is not None and not f.event.data.agrees_with_decision)
    return {"agrees": agrees, "disagrees": disagrees, "agreement_pct": pct(agrees, agrees + disagrees)}


def lcspr_decisions(cases: list[CaseAsAt]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for c in cases:
        latest = c.latest("rapid_review.submitted", "rapid_review.decision_made")
        counts[latest.event.data.decision if latest is not None else "undecided"] += 1
    return {d: counts[d] for d in ("lcspr", "no_lcspr", "undecided")}


def lcspr_initiated_by_year(cases: list[CaseAsAt], year: int) -> dict[str, int]:
    counts = Counter(latest.event.data.initiated_date.year for c in cases
                     if (latest := c.latest("lcspr.initiated")) is not None)
    return {str(y): counts[y] for y in sorted(counts) if y <= year}


def lcspr_reports(cases: list[CaseAsAt], year: int) -> dict[str, int]:
    end = dt.date(year, 12, 31)
    out = {"received": 0, **{intent: 0 for intent in PUBLICATION_INTENTS}, "published_over_200_working_days": 0}
    for c in cases:
        reports = [a for a in c.of("lcspr.report_received") if a.event.data.received_date <= end]
        if not reports:
            continue
        out["received"] += 1
        published = [a for a in c.of("lcspr.published") if a.event.data.published_date <= end]
        if published:
            out["published"] += 1
            initiated = c.latest("lcspr.initiated")
            if initiated and working_days(initiated.event.data.initiated_date,
                                          published[0].event.data.published_date) > 200:
                out["published_over_200_working_days"] += 1
        else:
            out[max(reports, key=lambda a: a.order).event.data.publication_intent] += 1
    return out
