"""Random event histories for comparing the marts with the reference calculator.

Every kind of event, corrections (some breaking case rules), withdrawals, events delivered
before their notification (some too early: unknown_case), duplicates and invalid messages, in a
shuffled-but-mostly-chronological arrival order. Deterministic for a seed.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from typing import Any

from schemas.calendar import add_working_days
from schemas.incidents import (
    CASE_CHARACTERISTICS,
    COURT_ORDERS,
    DEATH_CATEGORIES,
    ETHNICITIES,
    GENDERS,
    KNOWN_TO_CSC,
    LIVING_SITUATIONS,
    NON_FATAL_CATEGORIES,
    SUBCATEGORIES,
)
from schemas.local_authorities import LOCAL_AUTHORITIES

PANEL = "urn:cspr:panel"


def _incident(rng: random.Random, la: str, notified: dt.date) -> dict[str, Any]:
    harm = rng.choice(["death", "serious_harm", "serious_harm", "other"])
    category = rng.choice(DEATH_CATEGORIES if harm == "death" else NON_FATAL_CATEGORIES)
    return {
        "local_authority": la,
        "incident_date": (notified - dt.timedelta(days=rng.randint(0, 20))).isoformat(),
        "notified_date": notified.isoformat(),
        "harm_type": harm,
        "category": category,
        "subcategory": rng.choice(SUBCATEGORIES) if category == "maltreatment_related_death" else None,
        "children": _children(rng),
        "imd_quintile": rng.choice([1, 2, 3, 4, 5, None]),
        "case_characteristics": rng.sample(CASE_CHARACTERISTICS, rng.randint(0, 4)),
        "service_involvement": {
            "known_to_csc": rng.choice(KNOWN_TO_CSC),
            "court_order": rng.choice(COURT_ORDERS),
            "living_situation": rng.choice(LIVING_SITUATIONS),
        },
        "covid_factor": rng.random() < 0.2,
    }


def _children(rng: random.Random) -> list[dict[str, Any]]:
    return [
        {"child_ref": f"child-{uuid.UUID(int=rng.getrandbits(128)).hex[:12]}", "age_years": rng.randint(0, 17),
         "gender": rng.choice(GENDERS), "ethnicity": rng.choice(ETHNICITIES)}
        for _ in range(rng.choice([1, 1, 1, 2, 3]))
    ]


def _at(day: dt.date, rng: random.Random) -> str:
    """A time on that day, with a Z or a +01:00 offset (still the same calendar date)."""
    seconds = rng.randint(3600 * 2, 3600 * 20)
    moment = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=seconds)
    if rng.random() < 0.3:
        return (moment).strftime("%Y-%m-%dT%H:%M:%S") + "+01:00"
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + "Z"


def random_history(seed: int, cases: int = 120, first: dt.date = dt.date(2019, 1, 1),
                   last: dt.date = dt.date(2021, 6, 30)) -> list[bytes]:
    rng = random.Random(seed)
    span = (last - first).days
    timed: list[tuple[dt.datetime, int, bytes]] = []
    counter = 0

    def emit(kind: str, source: str, subject: str, day: dt.date, data: dict[str, Any],
             event_id: str | None = None) -> bytes:
        nonlocal counter
        time_text = _at(day, rng)
        raw = json.dumps({
            "specversion": "1.0", "id": event_id or str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "source": source, "type": f"uk.gov.cspr.{kind}.v1", "subject": subject, "time": time_text,
            "data": data,
        }).encode()
        order = dt.datetime.fromisoformat(time_text.replace("Z", "+00:00"))
        counter += 1
        timed.append((order, counter, raw))
        return raw

    for n in range(cases):
        la = rng.choice(LOCAL_AUTHORITIES[:40]).code  # few authorities: several cases each
        src = f"urn:cspr:la:{la}"
        subject = f"SIN-{n:06d}"
        notified = first + dt.timedelta(days=rng.randint(0, span))
        incident = _incident(rng, la, notified)
        emit("incident.notified", src, subject, notified, incident)
        day = notified
        if rng.random() < 0.25:  # a correction, sometimes moving the notified date or the harm
            day = day + dt.timedelta(days=rng.randint(0, 30))
            changes: dict[str, Any] = rng.choice([
                {"children": _children(rng)},
                {"imd_quintile": rng.choice([1, 5, None])},
                {"notified_date": (notified + dt.timedelta(days=rng.randint(-3, 3))).isoformat()},
                {"harm_type": "death", "category": "sudi", "subcategory": None},
                {"category": "maltreatment_related_death"},  # breaks the case rules unless lucky
                {"service_involvement": {"known_to_csc": "looked_after", "court_order": "care_order",
                                         "living_situation": "foster_care"}},
            ])
            emit("incident.corrected", src, subject, min(day, last),
                 {"changes": changes, "reason": rng.choice(["data_entry_error", "new_information"])})
        if rng.random() < 0.08:
            emit("incident.withdrawn", src, subject, day + dt.timedelta(days=rng.randint(0, 60)),
                 {"reason": "criteria_not_met"})
        if rng.random() < 0.85:  # rapid review, on time or late
            received = add_working_days(notified, rng.choice([3, 10, 15, 18, 30, 70]))
            decision = rng.choice(["lcspr", "no_lcspr", "undecided"])
            emit("rapid_review.submitted", src, subject, received,
                 {"received_date": received.isoformat(), "decision": decision})
            if rng.random() < 0.15:  # a second submission: only the decision counts
                emit("rapid_review.submitted", src, subject, received + dt.timedelta(days=5),
                     {"received_date": (received + dt.timedelta(days=5)).isoformat(), "decision": "no_lcspr"})
            if decision == "undecided" and rng.random() < 0.6:
                d2 = received + dt.timedelta(days=rng.randint(1, 40))
                emit("rapid_review.decision_made", src, subject, d2,
                     {"decision": rng.choice(["lcspr", "no_lcspr"]), "decision_date": d2.isoformat()})
                decision = "lcspr"
            if rng.random() < 0.7:
                for _ in range(rng.choice([1, 1, 2])):
                    fb = received + dt.timedelta(days=rng.randint(5, 40))
                    emit("panel.feedback_issued", PANEL, subject, fb,
                         {"feedback_date": fb.isoformat(), "agrees_with_decision": rng.random() < 0.7})
            if decision == "lcspr" and rng.random() < 0.8:
                initiated = received + dt.timedelta(days=rng.randint(1, 60))
                emit("lcspr.initiated", src, subject, initiated, {"initiated_date": initiated.isoformat()})
                if rng.random() < 0.1:
                    again = initiated + dt.timedelta(days=10)
                    emit("lcspr.initiated", src, subject, again, {"initiated_date": again.isoformat()})
                if rng.random() < 0.6:
                    rec = initiated + dt.timedelta(days=rng.randint(100, 400))
                    intent = rng.choice(["published", "intend_to_publish", "not_publishing"])
                    emit("lcspr.report_received", src, subject, rec,
                         {"received_date": rec.isoformat(), "publication_intent": intent})
                    if intent != "not_publishing" and rng.random() < 0.6:
                        pub = rec + dt.timedelta(days=rng.randint(1, 120))
                        emit("lcspr.published", src, subject, pub, {"published_date": pub.isoformat()})
        if rng.random() < 0.06:  # recorded before the notification: held, then released or unknown_case
            early = notified - dt.timedelta(days=rng.choice([2, 5, 12]))
            emit("lcspr.initiated", src, subject, early, {"initiated_date": early.isoformat()})
        if rng.random() < 0.05:  # another LA writes to the case: source_not_authorised
            other = f"urn:cspr:la:{LOCAL_AUTHORITIES[-1].code}"
            emit("lcspr.initiated", other, subject, notified + dt.timedelta(days=3),
                 {"initiated_date": (notified + dt.timedelta(days=3)).isoformat()})

    timed.sort()
    lines = [raw for _, _, raw in timed]
    # out of order: some events arrive before their notification, a few far too early
    for _ in range(len(lines) // 15):
        i = rng.randrange(1, len(lines))
        j = max(0, i - rng.choice([1, 2, 5, 40]))
        lines.insert(j, lines.pop(i))
    # duplicates and invalid messages
    for _ in range(len(lines) // 25):
        lines.insert(rng.randrange(len(lines)), rng.choice(lines))
    for bad in (b"not json", b'{"specversion": "1.0"}', json.dumps({"specversion": "1.0", "id": "x"}).encode()):
        lines.insert(rng.randrange(len(lines)), bad)
    return lines
