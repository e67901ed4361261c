"""Random histories of any size, for load tests: realistic cases plus delivery faults at set rates.

Cases are generated in notification-date order and their events pushed on a heap keyed by
arrival time; everything that arrives before the next case's notification day is written
out, so memory holds only the cases still in flight, not the whole history.

Faults, each at its rate:
- duplicate deliveries: the same bytes again, a little later;
- out-of-order deliveries: a notification delivered after its case's next event (held, then
  released), and, for one in ten of those, a case event whose notification never comes
  (``unknown_case``);
- invalid events of every kind: bad JSON, not UTF-8, not an object, unknown type, unknown
  field, wrong type, missing field, bad timestamp, a date after the time, bad subject, an
  unknown LA, a message over 256 KiB, nesting too deep, the Panel sending an LA event, another LA writing to the case
  (``source_not_authorised``), a second notification (``case_exists``), a rapid review before
  the notification date (``case_rule_violation``).
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import itertools
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from producers.simulator.incidents import random_incident
from producers.simulator.lifecycle import CasePlan, EventWriter, Fact, child, day_weight, plus_wd, utc_seconds
from schemas.errors import CsprError
from schemas.local_authorities import LOCAL_AUTHORITIES, la_source

RATE_NAMES = ("correction_rate", "withdrawal_rate", "duplicate_rate", "out_of_order_rate", "invalid_rate")
INVALID_KINDS = (
    "bad_json", "not_utf8", "not_an_object", "unknown_type", "unknown_field", "wrong_type", "missing_field",
    "bad_time", "date_after_time", "bad_subject", "unknown_la", "panel_sends_la_event", "other_la_source",
    "case_exists", "review_before_notification", "too_large", "too_deep",
)


class SimulatorOptionsError(CsprError):
    """A simulator option is out of range."""


@dataclass
class RandomOptions:
    cases: int
    seed: int = 0
    start_year: int = 2019
    years: int = 2
    correction_rate: float = 0.05
    withdrawal_rate: float = 0.02
    duplicate_rate: float = 0.01
    out_of_order_rate: float = 0.01
    invalid_rate: float = 0.005

    def __post_init__(self) -> None:
        if not isinstance(self.cases, int) or self.cases < 0:
            raise SimulatorOptionsError(f"--cases must be a whole number >= 0, got {self.cases!r}")
        if not 2018 <= self.start_year <= 2100:
            raise SimulatorOptionsError(f"--start-year must be between 2018 and 2100, got {self.start_year}")
        if not 1 <= self.years <= 50:
            raise SimulatorOptionsError(f"--years must be between 1 and 50, got {self.years}")
        for name in RATE_NAMES:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise SimulatorOptionsError(f"--{name.replace('_', '-')} must be a number from 0 to 1, got {value!r}")


def _lifecycle(rng: random.Random, notified: dt.date, end: dt.date) -> list[Fact]:
    facts: list[Fact] = []
    r = rng.random()
    e = 5 + int(r / 0.2 * 11) if r < 0.2 else 16 + int((r - 0.2) / 0.45 * 10) if r < 0.65 else (
        26 + int((r - 0.65) / 0.27 * 34) if r < 0.92 else 60 + int((r - 0.92) / 0.08 * 61))
    received = plus_wd(notified, e)
    if received > end:
        return facts
    r = rng.random()
    decision = "lcspr" if r < 0.35 else "no_lcspr" if r < 0.92 else "undecided"
    facts.append(Fact(received, "rapid_review.submitted", {"received_date": received.isoformat(), "decision": decision}))
    decided = received
    if decision == "undecided" and rng.random() < 0.8:
        decided = plus_wd(received, rng.randint(10, 40))
        decision = "lcspr" if rng.random() < 0.4 else "no_lcspr"
        facts.append(Fact(decided, "rapid_review.decision_made", {"decision": decision, "decision_date": decided.isoformat()}))
    feedback = plus_wd(received, rng.randint(4, 20))
    facts.append(Fact(feedback, "panel.feedback_issued",
                      {"feedback_date": feedback.isoformat(), "agrees_with_decision": rng.random() < 0.69}))
    if decision == "lcspr":
        initiated = plus_wd(decided, rng.randint(15, 70))
        facts.append(Fact(initiated, "lcspr.initiated", {"initiated_date": initiated.isoformat()}))
        report = plus_wd(initiated, rng.randint(120, 260))
        r = rng.random()
        intent = "intend_to_publish" if r < 0.8 else "not_publishing" if r < 0.92 else "published"
        facts.append(Fact(report, "lcspr.report_received", {"received_date": report.isoformat(), "publication_intent": intent}))
        if intent == "intend_to_publish":
            notice, planned = plus_wd(report, rng.randint(0, 10)), plus_wd(report, rng.randint(20, 60))
            facts.append(Fact(notice, "lcspr.publication_notified",
                              {"notified_date": notice.isoformat(), "planned_publication_date": planned.isoformat()}))
            facts.append(Fact(planned, "lcspr.published", {"published_date": planned.isoformat()}, lag=0))
    return [f for f in facts if f.day <= end]


def _invalid(rng: random.Random, writer: EventWriter, raw: bytes, plan: CasePlan) -> bytes:
    """A broken copy of a valid event (fresh id), of a randomly chosen kind."""
    kind = rng.choice(INVALID_KINDS)
    doc: dict[str, Any] = json.loads(raw)
    doc["id"] = writer.new_id()
    data = doc["data"]
    if kind == "bad_json":
        return json.dumps(doc).encode()[: rng.randint(10, 80)]
    if kind == "not_utf8":
        return json.dumps(doc).encode().replace(b'"1.0"', b'"1.0\xff"', 1)
    if kind == "not_an_object":
        return json.dumps([doc]).encode()
    if kind == "too_large":  # a partner attaching a document: over the 256 KiB limit
        data["attachment"] = "A" * (260 * 1024)
    elif kind == "too_deep":
        data["nested"] = json.loads("[" * 40 + "]" * 40)
    elif kind == "unknown_type":
        doc["type"] = "uk.gov.cspr.incident.forgotten.v1"
    elif kind == "unknown_field":
        data["child_name"] = "not allowed"
    elif kind == "wrong_type":
        key = next(iter(data))
        data[key] = 3 if isinstance(data[key], str) else str(data[key])
    elif kind == "missing_field":
        data.pop(next(iter(data)))
    elif kind == "bad_time":
        doc["time"] = doc["time"][:19]  # no offset
    elif kind == "date_after_time":
        key = next((k for k, v in data.items() if k.endswith("_date") and k != "planned_publication_date"), None)
        if key is None:
            doc["subject"] = "no"
        else:
            data[key] = (dt.date.fromisoformat(doc["time"][:10]) + dt.timedelta(days=3)).isoformat()
    elif kind == "bad_subject":
        doc["subject"] = "sin 2020/1"
    elif kind == "unknown_la":
        doc["source"] = "urn:cspr:la:E99999999"
    elif kind == "panel_sends_la_event":
        if doc["source"] == "urn:cspr:panel":
            doc["source"] = la_source(plan.la)
        else:
            doc["source"] = "urn:cspr:panel"
    elif kind in ("other_la_source", "case_exists", "review_before_notification"):
        notified = dt.date.fromisoformat(plan.notification["notified_date"])
        other = next(la.code for la in LOCAL_AUTHORITIES if la.code != plan.la)
        if kind == "other_la_source":
            doc.update(source=la_source(other), type="uk.gov.cspr.incident.withdrawn.v1", data={"reason": "entered_in_error"})
        elif kind == "case_exists":
            doc.update(source=la_source(plan.la), type="uk.gov.cspr.incident.notified.v1", data=plan.notification)
        else:
            before = max(notified - dt.timedelta(days=rng.randint(1, 20)), dt.date(2018, 1, 1))
            if before >= notified:
                return b"{}"
            doc.update(source=la_source(plan.la), type="uk.gov.cspr.rapid_review.submitted.v1",
                       data={"received_date": before.isoformat(), "decision": "no_lcspr"})
    return json.dumps(doc, separators=(",", ":")).encode()


def generate(opts: RandomOptions) -> Iterator[bytes]:
    """The history's lines (bytes, no newline) in arrival order, generated as they are needed."""
    rng = random.Random(opts.seed)
    first = dt.date(opts.start_year, 1, 1)
    end = dt.date(opts.start_year + opts.years - 1, 12, 31)
    writer = EventWriter(rng, dt.datetime.combine(end, dt.time.max, tzinfo=dt.UTC))
    days = [first + dt.timedelta(days=i) for i in range((end - first).days + 1)]
    cumulative = list(itertools.accumulate(day_weight(d) for d in days))
    codes = [la.code for la in LOCAL_AUTHORITIES]
    la_cumulative = list(itertools.accumulate(rng.lognormvariate(0, 0.6) for _ in codes))
    secret = f"cspr-simulator-partner-secret-{opts.seed}"
    heap: list[tuple[int, int, bytes]] = []
    counter = itertools.count()
    per_year: dict[int, int] = {}
    n = max(opts.cases, 1)
    for i in range(opts.cases):
        notified = days[bisect.bisect_left(cumulative, (i + rng.random()) / n * cumulative[-1])]
        flush_before = utc_seconds(dt.datetime.combine(notified, dt.time(), tzinfo=dt.UTC)) - 3600
        while heap and heap[0][0] < flush_before:
            yield heapq.heappop(heap)[2]
        la = codes[bisect.bisect_left(la_cumulative, rng.random() * la_cumulative[-1])]
        per_year[notified.year] = per_year.get(notified.year, 0) + 1
        subject = f"SIN-{notified.year}-{per_year[notified.year]:06d}"

        def make_child(k: int, age: int, gender: str, ethnicity: str, _s: str = subject) -> dict[str, Any]:
            return child(rng, secret, f"{_s}-{k}", age, gender, ethnicity)

        incident = random_incident(rng, la, notified, make_child)
        facts = _lifecycle(rng, notified, end)
        if rng.random() < opts.correction_rate:
            day = plus_wd(notified, rng.randint(2, 25))
            if day <= end:
                facts.append(Fact(day, "incident.corrected", {
                    "changes": {"imd_quintile": rng.choice((1, 2, 3, 4, 5, None))}, "reason": "data_entry_error"}))
        if rng.random() < opts.withdrawal_rate:
            day = plus_wd(notified, rng.randint(2, 30))
            if day <= end:
                facts.append(Fact(day, "incident.withdrawn", {"reason": "criteria_not_met"}))
        plan = CasePlan(subject, la, incident, facts)
        events = writer.events(plan)
        if len(events) > 1 and rng.random() < opts.out_of_order_rate:
            if rng.random() < 0.9:  # the notification arrives after the case's next event
                events[0] = (events[1][0] + rng.randint(60, 3 * 86400), *events[0][1:])
            else:  # an event for a case reference that was never notified
                doc = json.loads(events[1][2])
                doc["subject"], doc["id"] = subject.replace("SIN-", "SIN-X"), writer.new_id()
                events.append((events[1][0] + 60, events[1][1], json.dumps(doc, separators=(",", ":")).encode()))
        for arrival, _utc, raw in events:
            heapq.heappush(heap, (arrival, next(counter), raw))
            if opts.duplicate_rate and rng.random() < opts.duplicate_rate:
                heapq.heappush(heap, (arrival + rng.randint(1, 86400), next(counter), raw))
            if opts.invalid_rate and rng.random() < opts.invalid_rate:
                heapq.heappush(heap, (arrival + rng.randint(1, 600), next(counter), _invalid(rng, writer, raw, plan)))
    while heap:
        yield heapq.heappop(heap)[2]

