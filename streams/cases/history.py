"""The case projection: each event, in arrival order, folded into its case by the history rules.

Pure Python, no Kafka. The agent (``streams.cases.agents``) feeds it one inbound message at a
time and sends what it returns; the unit tests feed it plain dicts. The rules, in the order the
contract and the project's shared definitions give them:

1. a message that fails ``parse_event`` is rejected with the validation reason;
2. a schema-valid event whose (source, lower-case id) was seen before is a duplicate: counted,
   otherwise ignored — unless that earlier event was dead-lettered: a rejected id is not "seen",
   so an event re-sent once its cause is fixed (its notification sent, say) is judged afresh;
3. ``incident.notified`` for a case that already has one is rejected ``case_exists``; otherwise
   it is accepted and the events held for the case are released in arrival order (one whose
   ``time`` is more than 7 days before the notification's ``time`` is rejected ``unknown_case``);
4. any other event of a case with no notification yet is held (in the case state, so it survives a
   restart through the changelog); for a known case an LA event from
   another LA is rejected ``source_not_authorised``; on a withdrawn case it is accepted and
   changes nothing; otherwise the case rules hold or it is rejected ``case_rule_violation``;
5. accepted events get ``case_seq`` 1, 2, ... per case.

A held event is decided by its own case's notification only, as the contract says ("when the
notification's ``time`` is more than 7 days after the held event's ``time``, or no notification
arrives at all"): never by the event time of other cases' events read meanwhile, which would make
the outcome depend on how partners' events interleave on a partition. An event whose notification
never comes stays held, and is shown on ``/status`` (``held``, ``held_over_7_days``: held events
more than 7 days of event time behind the latest event read) so that an operator can chase the
partner; the reference calculator counts such an event ``unknown_case`` at the end of its input.

No message can stop the stream: any error while applying one message (a bug, a recursion limit,
a message nobody foresaw) rejects that message ``processing_error`` with the error as detail.

Duplicates are detected per case (the inbound topic is keyed by ``subject``, so a case's events
all reach one partition and one worker); the raw store's ReplacingMergeTree collapses the rare
re-use of an id across two cases.

Crash safety: each seen event remembers the Kafka position it arrived at. After a crash the
worker re-reads messages whose offsets were not committed although their effect may already be
in the case table; a message seen again *at the same position* is a replay, not a duplicate, and
its outputs are sent again (the sink and the dead-letter store are idempotent), so nothing sent
before the crash can be lost.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

from schemas import EventValidationError, parse_event
from schemas.incidents import incident_problems
from schemas.local_authorities import la_code_of
from schemas.reasons import (
    CASE_EXISTS,
    CASE_RULE_VIOLATION,
    PROCESSING_ERROR,
    SOURCE_NOT_AUTHORISED,
    UNKNOWN_CASE,
)

log = logging.getLogger(__name__)
HOLD_WINDOW = dt.timedelta(days=7)

ACCEPTED, REJECTED, HELD, DUPLICATE = "accepted", "rejected", "held", "duplicate"


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a message was read: topic, partition, offset."""

    topic: str = ""
    partition: int = -1
    offset: int = -1

    def tag(self) -> str:
        return f"{self.topic}/{self.partition}/{self.offset}"


@dataclass(frozen=True, slots=True)
class Output:
    """What to do with one message: send it on (accepted), dead-letter it (rejected), or count it."""

    kind: str  # accepted | rejected | held | duplicate
    raw: bytes
    origin: Origin
    subject: str | None = None
    case_seq: int | None = None
    reason: str | None = None
    detail: str | None = None
    problems: tuple[tuple[str, str], ...] = ()
    source: str | None = None
    event_id: str | None = None
    type: str | None = None
    replay: bool = False
    event: Any = None  # the typed event (None for an invalid message), so the sink need not parse it again


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).isoformat()


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _new_state(subject: str) -> dict[str, Any]:
    # A case is a plain JSON-able dict so the Faust table can store and changelog it as is.
    return {
        "subject": subject,
        "la": None,            # LA code of the accepted notification
        "seq": 0,              # last case_seq given
        "withdrawn": False,    # a withdrawal accepted (arrival order)
        "max_time": None,      # largest event time of the case (the latest event time after recovery)
        "facts": [],           # accepted events that change the case: [time, seq, short_type, data]
        "held": [],            # [time, raw text, origin tag, key]
        "seen": {},            # "source id" -> [origin tag, outcome (seq | reason | "held"), detail]
        "counts": {"accepted": 0, "duplicates": 0, "rejected": 0, "held": 0},
    }


def _key(event: Any) -> str:
    source, eid = event.dedup_key
    return f"{source} {eid}"


class CaseProjection:
    """Applies the history rules over a store of case states (``subject -> dict``).

    ``cases`` is any mutable mapping: a dict in tests, a batch cache over the Faust table in the
    agent. ``touched`` collects the subjects whose state changed since ``take_touched()``.
    """

    def __init__(self, cases: MutableMapping[str, dict[str, Any]]):
        self.cases = cases
        # The largest event ``time`` read: for the views only (as-at answers, and which held
        # events have waited more than 7 days of stream time). No decision depends on it: a held
        # event is decided by its own case's notification, whatever other cases' events interleave.
        self.watermark: dt.datetime | None = None
        self.touched: set[str] = set()

    # --- recovery -------------------------------------------------------------------------
    def rebuild(self, states: Iterable[dict[str, Any]]) -> None:
        """Re-derive the latest event time from recovered case states (their ``max_time``)."""
        times = [state["max_time"] for state in states if state.get("max_time")]
        self.watermark = _time(max(times)) if times else None

    # --- one message ----------------------------------------------------------------------
    def process(self, raw: bytes, origin: Origin = Origin()) -> list[Output]:
        """Apply one inbound message; return what to send, in order. Never raises: a message the
        rules fail on is rejected ``processing_error`` (see the module's docstring)."""
        try:
            return self._process(raw, origin)
        except Exception as exc:  # RecursionError, a bug in a rule, ...: this message only
            log.exception("message at %s could not be processed; dead-lettering it", origin.tag())
            return [_failed(raw, origin, exc)]

    def _process(self, raw: bytes, origin: Origin) -> list[Output]:
        try:
            event = parse_event(raw)
        except EventValidationError as err:
            return [_invalid(raw, origin, err)]
        outputs = self._apply(event, raw, origin)
        if self.watermark is None or event.time > self.watermark:
            self.watermark = event.time
        return outputs

    def _apply(self, event: Any, raw: bytes, origin: Origin) -> list[Output]:
        subject = event.subject
        state = self.cases.get(subject)
        if state is None:
            state = _new_state(subject)
            state["partition"] = origin.partition
        key = _key(event)
        seen = state["seen"].get(key)
        if seen is not None:
            if seen[0] == origin.tag() and origin.offset >= 0:
                # written again though unchanged: a case whose table write reached the local
                # store but not the changelog before a crash reaches the changelog now
                self._save(state)
                return self._replay(state, event, raw, origin, seen)
            if not _dead_lettered(seen):
                state["counts"]["duplicates"] += 1
                self._save(state)
                return [_out(DUPLICATE, event, raw, origin,
                             detail=f"duplicate of the event first read at {seen[0]}")]
            # dead-lettered before: not "seen" (the README's remedies re-send it once fixed)
        t = _iso(event.time)
        if state["max_time"] is None or t > state["max_time"]:
            state["max_time"] = t
        short = event.short_type
        if short == "incident.notified":
            outputs = self._notify(state, event, raw, origin, key)
        elif state["la"] is None:
            state["held"].append([t, raw.decode("utf-8"), origin.tag(), key])
            state["seen"][key] = [origin.tag(), HELD, None]
            state["counts"]["held"] += 1
            outputs = [_out(HELD, event, raw, origin)]
        else:
            outputs = [self._case_event(state, event, raw, origin, key)]
        self._save(state)
        return outputs

    def _replay(self, state: dict[str, Any], event: Any, raw: bytes, origin: Origin,
                seen: list[Any]) -> list[Output]:
        """The same message read again after a crash: send its outputs again, change nothing."""
        outputs = [self._output_of(state, event, raw, origin, seen)]
        if event.short_type == "incident.notified" and isinstance(seen[1], int):
            # the events this notification released
            for entry in state["seen"].values():
                if len(entry) > 3 and entry[3] == origin.tag():
                    held_raw = entry[4].encode("utf-8")
                    held_event = parse_event(held_raw)
                    outputs.append(self._output_of(state, held_event, held_raw, _origin(entry[0]), entry))
        return outputs

    def _output_of(self, state: dict[str, Any], event: Any, raw: bytes, origin: Origin,
                   seen: list[Any]) -> Output:
        outcome = seen[1]
        if isinstance(outcome, int):
            return _out(ACCEPTED, event, raw, origin, case_seq=outcome, replay=True)
        if outcome == HELD:
            return _out(HELD, event, raw, origin, replay=True)
        return _out(REJECTED, event, raw, origin, reason=outcome, detail=seen[2], replay=True)

    def _notify(self, state: dict[str, Any], event: Any, raw: bytes, origin: Origin, key: str) -> list[Output]:
        if state["la"] is not None:
            detail = (f"case {event.subject} already has a notification; send incident.corrected "
                      f"to change it")
            return [self._reject(state, event, raw, origin, key, CASE_EXISTS, detail)]
        state["la"] = event.data.local_authority
        outputs = [self._accept(state, event, raw, origin, key)]
        held, state["held"] = state["held"], []
        for h in held:
            h_time, h_raw, h_origin, h_key = h
            h_bytes = h_raw.encode("utf-8")
            h_event = parse_event(h_bytes)
            state["counts"]["held"] -= 1
            if _time(h_time) + HOLD_WINDOW < event.time:
                detail = (f"the notification of case {event.subject} (time {_iso(event.time)}) came more "
                          f"than 7 days after this event (time {h_time})")
                out = self._reject(state, h_event, h_bytes, _origin(h_origin), h_key, UNKNOWN_CASE, detail)
            else:
                out = self._case_event(state, h_event, h_bytes, _origin(h_origin), h_key)
            state["seen"][h_key] += [origin.tag(), h_raw]  # released by this notification
            outputs.append(out)
        return outputs

    def _case_event(self, state: dict[str, Any], event: Any, raw: bytes, origin: Origin, key: str) -> Output:
        code = la_code_of(event.source)
        if code is not None and code != state["la"]:
            detail = (f"{event.source} may not write to case {event.subject}, which belongs to "
                      f"urn:cspr:la:{state['la']}")
            return self._reject(state, event, raw, origin, key, SOURCE_NOT_AUTHORISED, detail)
        if state["withdrawn"]:
            return self._accept(state, event, raw, origin, key, record=False)
        problem = case_rule_problem(state, event)
        if problem:
            return self._reject(state, event, raw, origin, key, CASE_RULE_VIOLATION, problem)
        if event.short_type == "incident.withdrawn":
            state["withdrawn"] = True
        return self._accept(state, event, raw, origin, key)

    def _accept(self, state: dict[str, Any], event: Any, raw: bytes, origin: Origin, key: str,
                record: bool = True) -> Output:
        state["seq"] += 1
        seq = state["seq"]
        state["seen"][key] = [origin.tag(), seq, None]
        state["counts"]["accepted"] += 1
        if record:
            data = event.data.changes.given() if event.short_type == "incident.corrected" else event.data
            state["facts"].append([_iso(event.time), seq, event.short_type, _jsonable(data)])
        return _out(ACCEPTED, event, raw, origin, case_seq=seq)

    def _reject(self, state: dict[str, Any], event: Any, raw: bytes, origin: Origin, key: str,
                reason: str, detail: str) -> Output:
        state["seen"][key] = [origin.tag(), reason, detail]
        state["counts"]["rejected"] += 1
        return _out(REJECTED, event, raw, origin, reason=reason, detail=detail)

    def _save(self, state: dict[str, Any]) -> None:
        self.cases[state["subject"]] = state
        self.touched.add(state["subject"])

    def take_touched(self) -> set[str]:
        touched, self.touched = self.touched, set()
        return touched


def held_over(states: Iterable[dict[str, Any]], now: dt.datetime | None,
              window: dt.timedelta = HOLD_WINDOW) -> list[tuple[str, str, str]]:
    """Held events whose ``time`` is more than ``window`` before ``now`` (the latest event time):
    ``(subject, source, time)``, oldest first. Their notification is overdue by the contract."""
    if now is None:
        return []
    cutoff = now - window
    late = [(state["subject"], h[3].split(" ", 1)[0], h[0]) for state in states for h in state.get("held", ())
            if _time(h[0]) < cutoff]
    return sorted(late, key=lambda x: x[2])


# --- case rules -----------------------------------------------------------------------------

def current_incident(facts: list[list[Any]]) -> dict[str, Any]:
    """The notification's data with its corrections applied in ``time`` order (ties by case_seq)."""
    incident: dict[str, Any] = {}
    for _t, _seq, kind, data in sorted(facts, key=lambda f: (f[0], f[1])):
        if kind == "incident.notified":
            incident = {**data, **incident} if incident else dict(data)
        elif kind == "incident.corrected":
            incident.update(data)
    return incident


def case_rule_problem(state: dict[str, Any], event: Any) -> str | None:
    """Why ``event`` breaks a case rule that needs the case's history, or None."""
    short = event.short_type
    facts = state["facts"]
    if short == "incident.corrected":
        changed = _jsonable(event.data.changes.given())
        trial = [*facts, [_iso(event.time), state["seq"] + 1, short, changed]]
        incident = current_incident(trial)
        problem = incident_problem(incident)
        if problem:
            return f"the corrected case would not be valid: {problem}"
        notified = incident["notified_date"]
        for f in facts:
            if f[2] == "rapid_review.submitted" and notified > f[3]["received_date"]:
                return (f"notified_date {notified} would be after the received_date {f[3]['received_date']} "
                        f"of a rapid review already accepted")
    elif short == "rapid_review.submitted":
        notified = current_incident(facts)["notified_date"]
        received = event.data.received_date.isoformat()
        if received < notified:
            return f"received_date {received} is before the case's notified_date {notified}"
    elif short == "lcspr.published":
        initiated = [f for f in facts if f[2] == "lcspr.initiated"]
        if initiated:
            latest = max(initiated, key=lambda f: (f[0], f[1]))[3]["initiated_date"]
            published = event.data.published_date.isoformat()
            if published < latest:
                return f"published_date {published} is before the LCSPR's initiated_date {latest}"
    return None


def incident_problem(incident: dict[str, Any]) -> str | None:
    """A whole incident's cross-field rules (the contract's, from ``schemas.incidents``), as one line."""
    problems = incident_problems(incident)
    return "; ".join(f"{p.path} {p.message}" for p in problems) or None


# --- helpers --------------------------------------------------------------------------------

def _jsonable(data: Any) -> Any:
    if hasattr(data, "model_dump"):
        return data.model_dump(mode="json")
    if isinstance(data, dict):
        return {k: _jsonable(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_jsonable(v) for v in data]
    if isinstance(data, dt.date):
        return data.isoformat()
    return data


def _dead_lettered(seen: list[Any]) -> bool:
    """Whether a ``seen`` entry records a rejection (its outcome is a reason, not a seq or held)."""
    return isinstance(seen[1], str) and seen[1] != HELD


def _origin(tag: str) -> Origin:
    topic, partition, offset = tag.rsplit("/", 2)
    return Origin(topic, int(partition), int(offset))


def _out(kind: str, event: Any, raw: bytes, origin: Origin, **kw: Any) -> Output:
    return Output(kind, raw, origin, subject=event.subject, source=event.source, event_id=event.id.lower(),
                  type=event.type, event=event, **kw)


def _invalid(raw: bytes, origin: Origin, err: EventValidationError) -> Output:
    envelope = _peek(raw)
    return Output(REJECTED, raw, origin, subject=envelope.get("subject"), reason=err.reason, detail=str(err),
                  problems=tuple((p.path, p.message) for p in err.problems), source=envelope.get("source"),
                  event_id=envelope.get("id"), type=envelope.get("type"))


def _failed(raw: bytes, origin: Origin, exc: BaseException) -> Output:
    envelope = _peek(raw)
    detail = f"the stream failed on this message: {type(exc).__name__}: {exc}"[:2000]
    return Output(REJECTED, raw, origin, subject=envelope.get("subject"), reason=PROCESSING_ERROR, detail=detail,
                  source=envelope.get("source"), event_id=envelope.get("id"), type=envelope.get("type"))


def _peek(raw: bytes) -> dict[str, str]:
    """What can be read of an invalid message's envelope (strings only), for the dead letter."""
    try:
        doc = json.loads(raw)
    except Exception:  # ValueError, RecursionError, ...: nothing can be read
        return {}
    if not isinstance(doc, dict):
        return {}
    return {k: doc[k] for k in ("subject", "source", "id", "type") if isinstance(doc.get(k), str)}


__all__ = [
    "ACCEPTED", "CASE_EXISTS", "CASE_RULE_VIOLATION", "DUPLICATE", "HELD", "HOLD_WINDOW", "PROCESSING_ERROR", "REJECTED",
    "SOURCE_NOT_AUTHORISED", "UNKNOWN_CASE", "CaseProjection", "Origin", "Output", "case_rule_problem",
    "current_incident", "held_over", "incident_problem",
]
