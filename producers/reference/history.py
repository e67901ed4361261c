"""The contract's history rules (1-5), replayed over events in arrival order, in plain Python.

This is the oracle: small, slow-but-clear, independent of the stream and of dbt. Every
other computation of the platform is tested against what this module accepts and rejects.

1. a message that fails ``parse_event`` is rejected with its reason;
2. a schema-valid event whose (source, lower-case id) was seen before is a duplicate (an event
   that was rejected is not "seen": re-sent once its cause is fixed, it is judged afresh);
3. a second ``incident.notified`` for a subject is ``case_exists``; a first one is accepted and
   releases the events held for its subject (those more than 7 days older than it are
   ``unknown_case``);
4. any other event for an unknown subject is held; for a known case: wrong LA source ->
   ``source_not_authorised``; withdrawn case -> accepted, changes nothing; broken case rule
   -> ``case_rule_violation``;
5. accepted events get ``case_seq`` 1, 2, ... per subject; events still held at the end are
   ``unknown_case``.

A partnership's events (contract v2) are not case events (``is_partnership_event``): after rules
1 and 2 they are accepted into ``Replay.partnerships``, with ``case_seq`` 1, 2, ... per partnership.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from schemas import EventValidationError, parse_event
from schemas.incidents import MALTREATMENT_RELATED_DEATH, categories_of
from schemas.local_authorities import PANEL_SOURCE, la_source
from schemas.partnerships import is_partnership_event

HOLD_LIMIT = dt.timedelta(days=7)

CASE_EXISTS = "case_exists"
UNKNOWN_CASE = "unknown_case"
SOURCE_NOT_AUTHORISED = "source_not_authorised"
CASE_RULE_VIOLATION = "case_rule_violation"


@dataclass(slots=True)
class AcceptedEvent:
    event: Any
    raw: bytes
    case_seq: int
    # False for an event accepted for an already withdrawn case: it is kept, but changes nothing.
    effective: bool = True

    @property
    def order(self) -> tuple[dt.datetime, int]:
        """The contract's "first/latest" order: by time, equal times by case_seq."""
        return (self.event.time, self.case_seq)


@dataclass(slots=True)
class RejectedEvent:
    raw: bytes
    reason: str
    detail: str


@dataclass
class Replay:
    accepted: list[AcceptedEvent] = field(default_factory=list)
    rejected: list[RejectedEvent] = field(default_factory=list)
    duplicates: int = 0
    # Partnership events (contract v2), routed apart: accepted, case_seq per partnership.
    partnerships: list[AcceptedEvent] = field(default_factory=list)


def fold_incident(notification: Any, corrections: Iterable[AcceptedEvent]) -> dict[str, Any]:
    """A case's incident fields: the notification's data with the corrections applied in
    time order (equal times by case_seq), the latest value of each field winning.

    The one place where corrections are folded, for the case rules and for the figures.
    """
    state = dict(notification.data)
    for corr in sorted(corrections, key=lambda a: a.order):
        state.update(corr.event.data.changes.given())
    return state


def incident_problems(state: dict[str, Any]) -> list[str]:
    """What makes a (corrected) case invalid as a whole; empty when it is valid."""
    problems = []
    if state["category"] not in categories_of(state["harm_type"]):
        problems.append(f"category {state['category']!r} does not belong to harm_type {state['harm_type']!r}")
    if (state["category"] == MALTREATMENT_RELATED_DEATH) != (state["subcategory"] is not None):
        problems.append("subcategory is required with maltreatment_related_death and only with it")
    if state["notified_date"] < state["incident_date"]:
        problems.append(f"notified_date {state['notified_date']} is before incident_date {state['incident_date']}")
    refs = [c.child_ref for c in state["children"]]
    if len(set(refs)) != len(refs):
        problems.append("children repeat a child_ref")
    return problems


@dataclass
class _Case:
    la: str
    notification: AcceptedEvent
    seq: int = 1
    withdrawn: bool = False
    corrections: list[AcceptedEvent] = field(default_factory=list)
    reviews: list[AcceptedEvent] = field(default_factory=list)
    initiations: list[AcceptedEvent] = field(default_factory=list)

    def state(self, extra: AcceptedEvent | None = None) -> dict[str, Any]:
        return fold_incident(self.notification.event, self.corrections + ([extra] if extra else []))


def _case_rule(case: _Case, candidate: AcceptedEvent) -> str | None:
    """Why the candidate breaks a case rule, or None."""
    event, short = candidate.event, candidate.event.short_type
    if short == "incident.corrected":
        state = case.state(candidate)
        problems = incident_problems(state)
        for review in case.reviews:
            received = review.event.data.received_date
            if state["notified_date"] > received:
                problems.append(f"notified_date {state['notified_date']} would be after the received_date "
                                f"{received} of an accepted rapid review")
        return "; ".join(problems) or None
    if short == "rapid_review.submitted":
        notified = case.state()["notified_date"]
        if event.data.received_date < notified:
            return f"received_date {event.data.received_date} is before the case's notified_date {notified}"
    if short == "lcspr.published" and case.initiations:
        initiated = max(case.initiations, key=lambda a: a.order).event.data.initiated_date
        if event.data.published_date < initiated:
            return f"published_date {event.data.published_date} is before the initiated_date {initiated}"
    return None


def replay(lines: Iterable[bytes | str]) -> Replay:
    """Apply the history rules to events in arrival order."""
    out = Replay()
    seen: set[tuple[str, str]] = set()
    cases: dict[str, _Case] = {}
    held: dict[str, list[tuple[bytes, Any]]] = {}
    partnership_seq: dict[str, int] = {}

    def reject(raw: bytes, reason: str, detail: str, event: Any = None) -> None:
        out.rejected.append(RejectedEvent(raw, reason, detail))
        if event is not None:
            seen.discard(event.dedup_key)

    def process(raw: bytes, event: Any, case: _Case) -> None:
        if event.source != PANEL_SOURCE and event.source != la_source(case.la):
            reject(raw, SOURCE_NOT_AUTHORISED, f"{event.source} may not write to case {event.subject} "
                   f"of {la_source(case.la)}", event)
            return
        candidate = AcceptedEvent(event, raw, case.seq + 1, effective=not case.withdrawn)
        if not case.withdrawn:
            broken = _case_rule(case, candidate)
            if broken:
                reject(raw, CASE_RULE_VIOLATION, f"{event.short_type} for {event.subject}: {broken}", event)
                return
            short = event.short_type
            if short == "incident.corrected":
                case.corrections.append(candidate)
            elif short == "incident.withdrawn":
                case.withdrawn = True
            elif short == "rapid_review.submitted":
                case.reviews.append(candidate)
            elif short == "lcspr.initiated":
                case.initiations.append(candidate)
        case.seq += 1
        out.accepted.append(candidate)

    for line in lines:
        raw = line.encode("utf-8") if isinstance(line, str) else bytes(line)
        try:
            event = parse_event(raw)
        except EventValidationError as err:
            reject(raw, err.reason, str(err))
            continue
        if event.dedup_key in seen:
            out.duplicates += 1
            continue
        seen.add(event.dedup_key)
        subject = event.subject
        if is_partnership_event(event):  # not a case event: nothing to hold it for, no case rule
            partnership_seq[subject] = partnership_seq.get(subject, 0) + 1
            out.partnerships.append(AcceptedEvent(event, raw, partnership_seq[subject]))
        elif event.short_type == "incident.notified":
            if subject in cases:
                reject(raw, CASE_EXISTS, f"case {subject} already has a notification; send incident.corrected", event)
                continue
            accepted = AcceptedEvent(event, raw, 1)
            case = cases[subject] = _Case(event.data.local_authority, accepted)
            out.accepted.append(accepted)
            for held_raw, held_event in held.pop(subject, []):
                if event.time - held_event.time > HOLD_LIMIT:
                    reject(held_raw, UNKNOWN_CASE, f"case {subject} was notified more than 7 days after "
                           f"this {held_event.short_type} ({held_event.time.isoformat()})", held_event)
                else:
                    process(held_raw, held_event, case)
        elif subject in cases:
            process(raw, event, cases[subject])
        else:
            held.setdefault(subject, []).append((raw, event))
    for subject, events in held.items():
        for held_raw, held_event in events:
            reject(held_raw, UNKNOWN_CASE, f"no notification for case {subject} arrived for this "
                   f"{held_event.short_type} ({held_event.time.isoformat()})")
    return out
