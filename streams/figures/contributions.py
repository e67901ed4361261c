"""What one case adds to the live figures, and the difference when the case changes.

A case contributes a handful of counter keys (its notification day and harm type, its local
authority and year, its rapid review's timeliness). When an event changes the case, the agent
subtracts the old contribution and adds the new one, so a correction moves a count from one key
to another and a withdrawal takes the case out of every count.

Keys are strings so the aggregates can be served as JSON as they are:

- ``n|<notified_date>|<harm_type>``: a notification (day granularity, so any window can be summed)
- ``la|<year of notified_date>|<LA code>``: a notification of that authority
- ``laq|<year>|<quarter 1-4>|<LA code>``: the same by quarter (the viewers' live authority figures
  go through the disclosure control with their quarters, as the published tables do, so a live
  figure is never shown where the published quarters would let it pin one)
- ``rr|<notified_date>|<bucket>|<received_date>``: a rapid review received, in its timeliness
  bucket (working days from notification to the first submission's ``received_date``)
- ``rr|<notified_date>|pending|``: a rapid review not received yet; its bucket depends on the
  date it is looked at, so it is worked out when a view asks
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Sequence
from typing import Any

from schemas.calendar import requested_completion_date, timeliness_bucket, working_days
from streams.cases.history import CaseState, Fact, current_incident

PENDING = "pending"


def case_as_at(state: CaseState, as_at: dt.datetime | None = None) -> dict[str, Any] | None:
    """The case as known at ``as_at`` (every accepted event when None), or None if it does not count.

    A case counts once its notification is known and until a withdrawal is known. "First"
    submission is by ``time`` (ties by case_seq).
    """
    if state.la is None:
        return None
    if as_at is None:  # the live figures: twice per changed case per batch
        facts: Sequence[Fact] = state.facts
    else:
        text = as_at.astimezone(dt.UTC).isoformat()
        facts = [f for f in state.facts if f.time <= text]
    kinds = {f.kind for f in facts}
    if "incident.notified" not in kinds or "incident.withdrawn" in kinds:
        return None
    incident = current_incident(facts)
    submissions = sorted((f for f in facts if f.kind == "rapid_review.submitted"), key=lambda f: (f.time, f.seq))
    return {
        "subject": state.subject,
        "la": state.la,
        "notified_date": incident["notified_date"],
        "harm_type": incident["harm_type"],
        "received_date": submissions[0].data["received_date"] if submissions else None,
    }


def contribution(view: dict[str, Any] | None) -> Counter[str]:
    """The counter keys one case adds (empty for a case that does not count)."""
    if view is None:
        return Counter()
    notified = view["notified_date"]
    keys = Counter({
        f"n|{notified}|{view['harm_type']}": 1,
        f"la|{notified[:4]}|{view['la']}": 1,
        f"laq|{notified[:4]}|{(int(notified[5:7]) - 1) // 3 + 1}|{view['la']}": 1,
    })
    received = view["received_date"]
    if received is None:
        keys[f"rr|{notified}|{PENDING}|"] += 1
    else:
        keys[f"rr|{notified}|{_bucket(notified, received)}|{received}"] += 1
    return keys


def diff(old: Counter[str], new: Counter[str]) -> dict[str, int]:
    """new - old, as non-zero changes per key."""
    changes: dict[str, int] = {}
    for key in old.keys() | new.keys():
        delta = new.get(key, 0) - old.get(key, 0)
        if delta:
            changes[key] = delta
    return changes


def pending_review(view: dict[str, Any] | None) -> dict[str, str] | None:
    """The rapid review this case still owes, or None (for the live overdue list)."""
    if view is None or view["received_date"] is not None:
        return None
    return {
        "subject": view["subject"],
        "local_authority": view["la"],
        "notified_date": view["notified_date"],
        "requested_completion_date": _requested_completion(view["notified_date"]),
    }


# Pure functions of dates, asked for the same few thousand dates batch after batch.
@functools.lru_cache(maxsize=8192)
def _requested_completion(notified: str) -> str:
    return requested_completion_date(dt.date.fromisoformat(notified)).isoformat()


@functools.lru_cache(maxsize=65536)
def _bucket(notified: str, received: str) -> str:
    return timeliness_bucket(working_days(dt.date.fromisoformat(notified), dt.date.fromisoformat(received)))
