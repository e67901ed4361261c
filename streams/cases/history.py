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

A safeguarding partnership's events (contract v2) are not case events: routed apart by
``schemas.partnerships.is_partnership_event``, they fold into the partnership's own state (key
``partnership/<subject>``, ``kind`` ``partnership``): rules 1 and 2 apply, then each is accepted
with a ``case_seq`` per partnership; nothing is held for them and no case rule applies.

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
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from typing import Any

import orjson

from schemas import EventValidationError, parse_event
from schemas.incidents import incident_problems
from schemas.local_authorities import la_code_of
from schemas.partnerships import is_partnership_event, state_key
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
PARTNERSHIP = "partnership"  # the ``kind`` of a partnership's state (a case's state has none)


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


# --- the case state: typed, immutable records ----------------------------------------------

@dataclass(frozen=True, slots=True)
class Fact:
    """An accepted event that changes the case: its time, case_seq, short type and data (JSON)."""

    time: str
    seq: int
    kind: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class HeldEvent:
    """An event waiting for its case's notification, kept as it was read."""

    time: str
    raw: str
    origin: str   # Origin.tag() where it was read
    key: str      # "<source> <lower-case id>"

    @property
    def source(self) -> str:
        return self.key.split(" ", 1)[0]


@dataclass(frozen=True, slots=True)
class Seen:
    """What became of an event id of the case: where it was read and its outcome (its case_seq,
    a rejection reason, or ``held``); for a held event later decided, the notification that
    decided it (``released_by``) and its text, so that a replay of that notification sends it again."""

    origin: str
    outcome: int | str
    detail: str | None = None
    released_by: str | None = None
    raw: str | None = None

    @property
    def dead_lettered(self) -> bool:
        """Whether the event was rejected (its outcome is a reason, not a case_seq or held)."""
        return isinstance(self.outcome, str) and self.outcome != HELD


@dataclass(frozen=True, slots=True)
class Counts:
    """How many of the case's events were accepted, duplicates, rejected, and are held now."""

    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    held: int = 0


@dataclass(frozen=True, slots=True)
class CaseState:
    """One case (or one partnership: ``kind`` ``partnership``), as the history rules have decided
    it so far. Never changed in place: ``apply`` returns a new state (so a state read from the
    table, or cached, cannot drift from it). ``subject`` is the state's key (``state_key``): the
    case's subject, or ``partnership/<subject>``."""

    subject: str
    partition: int = -1            # the inbound partition the case's events arrive on
    la: str | None = None          # LA code of the accepted notification
    seq: int = 0                   # last case_seq given
    withdrawn: bool = False        # a withdrawal accepted (arrival order)
    max_time: str | None = None    # largest event time of the case (the latest event time after recovery)
    facts: tuple[Fact, ...] = ()
    held: tuple[HeldEvent, ...] = ()
    seen: Mapping[str, Seen] = field(default_factory=dict)  # "<source> <id>" -> Seen; a new dict per change
    counts: Counts = Counts()
    kind: str | None = None        # PARTNERSHIP for a partnership's state; None for a case

    @property
    def is_partnership(self) -> bool:
        return self.kind == PARTNERSHIP

    def evolve(self, **changes: Any) -> CaseState:
        """A copy with ``changes``: ``dataclasses.replace`` without its per-call field lookup (the
        fold makes two or three per event)."""
        get = changes.get
        return CaseState(get("subject", self.subject), get("partition", self.partition), get("la", self.la),
                         get("seq", self.seq), get("withdrawn", self.withdrawn), get("max_time", self.max_time),
                         get("facts", self.facts), get("held", self.held), get("seen", self.seen),
                         get("counts", self.counts), get("kind", self.kind))

    def to_json(self) -> bytes:
        """The state as the case table stores it (compact JSON; ``from_json`` reads it back)."""
        doc = {
            "subject": self.subject, "partition": self.partition, "la": self.la, "seq": self.seq,
            "withdrawn": self.withdrawn, "max_time": self.max_time,
            "facts": [[f.time, f.seq, f.kind, f.data] for f in self.facts],
            "held": [[h.time, h.raw, h.origin, h.key] for h in self.held],
            "seen": {k: [s.origin, s.outcome, s.detail, s.released_by, s.raw] for k, s in self.seen.items()},
            "counts": [self.counts.accepted, self.counts.duplicates, self.counts.rejected, self.counts.held],
        }
        if self.kind is not None:
            doc["kind"] = self.kind
        return orjson.dumps(doc)  # ~5x the standard library's speed: one encoding per changed case per batch

    @classmethod
    def from_json(cls, value: bytes | str) -> CaseState:
        doc = orjson.loads(value)
        return cls(
            subject=doc["subject"], partition=doc["partition"], la=doc["la"], seq=doc["seq"],
            withdrawn=doc["withdrawn"], max_time=doc["max_time"],
            facts=tuple(Fact(*f) for f in doc["facts"]),
            held=tuple(HeldEvent(*h) for h in doc["held"]),
            seen={k: Seen(*s) for k, s in doc["seen"].items()},
            counts=Counts(*doc["counts"]), kind=doc.get("kind"),
        )


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).isoformat()


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _key(event: Any) -> str:
    source, eid = event.dedup_key
    return f"{source} {eid}"


def _seen(state: CaseState, key: str, entry: Seen) -> dict[str, Seen]:
    return {**state.seen, key: entry}


def _count(state: CaseState, accepted: int = 0, duplicates: int = 0, rejected: int = 0, held: int = 0) -> Counts:
    c = state.counts
    return Counts(c.accepted + accepted, c.duplicates + duplicates, c.rejected + rejected, c.held + held)


# --- one event applied to its case: the one function -------------------------------------

def apply(state: CaseState | None, event: Any, raw: bytes, origin: Origin) -> tuple[CaseState, list[Output], bool]:
    """Apply one schema-valid event to its case, or its partnership (None: one not seen before;
    the state is the one under ``state_key(event)``).

    Returns the case's new state, what to send, and whether this was a replay (the same message
    read again at the same position after a crash: the state is unchanged, the outputs are sent
    again). Pure: no Kafka, no table, no clock.
    """
    if state is None:
        partnership = is_partnership_event(event)
        state = CaseState(state_key(event), partition=origin.partition, kind=PARTNERSHIP if partnership else None)
    key = _key(event)
    seen = state.seen.get(key)
    if seen is not None:
        if seen.origin == origin.tag() and origin.offset >= 0:
            return state, _replay(state, event, raw, origin, seen), True
        if not seen.dead_lettered:
            out = _out(DUPLICATE, event, raw, origin, detail=f"duplicate of the event first read at {seen.origin}")
            return state.evolve(counts=_count(state, duplicates=1)), [out], False
        # dead-lettered before: not "seen" (the README's remedies re-send it once fixed)
    t = _iso(event.time)
    # every change an event makes is one ``evolve`` (a new state costs ~2 µs); ``also`` carries
    # this one's latest event time into it
    also = {"max_time": t} if state.max_time is None or t > state.max_time else {}
    if state.kind == PARTNERSHIP:  # not a case: no notification to wait for, no case rule
        state, out = _accept(state, event, raw, origin, key, t, also)
        outputs = [out]
    elif event.short_type == "incident.notified":
        state, outputs = _notify(state, event, raw, origin, key, t, also)
    elif state.la is None:
        tag = origin.tag()
        state = state.evolve(held=(*state.held, HeldEvent(t, raw.decode("utf-8"), tag, key)),
                             seen=_seen(state, key, Seen(tag, HELD)), counts=_count(state, held=1), **also)
        outputs = [_out(HELD, event, raw, origin)]
    else:
        state, out = _case_event(state, event, raw, origin, key, t, also)
        outputs = [out]
    return state, outputs, False


def _replay(state: CaseState, event: Any, raw: bytes, origin: Origin, seen: Seen) -> list[Output]:
    """The same message read again after a crash: its outputs again, nothing changed."""
    outputs = [_output_of(event, raw, origin, seen)]
    if event.short_type == "incident.notified" and isinstance(seen.outcome, int):
        # the events this notification released
        for entry in state.seen.values():
            if entry.released_by == origin.tag() and entry.raw is not None:
                held_raw = entry.raw.encode("utf-8")
                outputs.append(_output_of(parse_event(held_raw), held_raw, _origin(entry.origin), entry))
    return outputs


def _output_of(event: Any, raw: bytes, origin: Origin, seen: Seen) -> Output:
    if isinstance(seen.outcome, int):
        return _out(ACCEPTED, event, raw, origin, case_seq=seen.outcome, replay=True)
    if seen.outcome == HELD:
        return _out(HELD, event, raw, origin, replay=True)
    return _out(REJECTED, event, raw, origin, reason=seen.outcome, detail=seen.detail, replay=True)


def _notify(state: CaseState, event: Any, raw: bytes, origin: Origin, key: str, t: str,
            also: dict[str, Any]) -> tuple[CaseState, list[Output]]:
    if state.la is not None:
        detail = f"case {event.subject} already has a notification; send incident.corrected to change it"
        state, out = _reject(state, event, raw, origin, key, CASE_EXISTS, detail, also)
        return state, [out]
    held = state.held
    state, out = _accept(state, event, raw, origin, key, t, {**also, "la": event.data.local_authority, "held": ()})
    outputs = [out]
    for h in held:
        h_bytes = h.raw.encode("utf-8")
        h_event = parse_event(h_bytes)
        state = state.evolve(counts=_count(state, held=-1))
        if _time(h.time) + HOLD_WINDOW < event.time:
            detail = (f"the notification of case {event.subject} (time {_iso(event.time)}) came more "
                      f"than 7 days after this event (time {h.time})")
            state, out = _reject(state, h_event, h_bytes, _origin(h.origin), h.key, UNKNOWN_CASE, detail, {})
        else:
            state, out = _case_event(state, h_event, h_bytes, _origin(h.origin), h.key, h.time, {})
        released = replace(state.seen[h.key], released_by=origin.tag(), raw=h.raw)
        state = state.evolve(seen=_seen(state, h.key, released))
        outputs.append(out)
    return state, outputs


def _case_event(state: CaseState, event: Any, raw: bytes, origin: Origin, key: str, t: str,
                also: dict[str, Any]) -> tuple[CaseState, Output]:
    """An event of a notified case (``t``: its time, ``also``: other changes to make with it)."""
    code = la_code_of(event.source)
    if code is not None and code != state.la:
        detail = (f"{event.source} may not write to case {event.subject}, which belongs to "
                  f"urn:cspr:la:{state.la}")
        return _reject(state, event, raw, origin, key, SOURCE_NOT_AUTHORISED, detail, also)
    if state.withdrawn:
        return _accept(state, event, raw, origin, key, t, also, record=False)
    problem = case_rule_problem(state, event)
    if problem:
        return _reject(state, event, raw, origin, key, CASE_RULE_VIOLATION, problem, also)
    if event.short_type == "incident.withdrawn":
        also = {**also, "withdrawn": True}
    return _accept(state, event, raw, origin, key, t, also)


def _accept(state: CaseState, event: Any, raw: bytes, origin: Origin, key: str, t: str, also: dict[str, Any],
            record: bool = True) -> tuple[CaseState, Output]:
    seq = state.seq + 1
    facts = state.facts
    if record:
        short = event.short_type
        data = event.data.changes.given() if short == "incident.corrected" else event.data
        facts = (*facts, Fact(t, seq, short, _jsonable(data)))
    state = state.evolve(seq=seq, facts=facts, seen=_seen(state, key, Seen(origin.tag(), seq)),
                         counts=_count(state, accepted=1), **also)
    return state, _out(ACCEPTED, event, raw, origin, case_seq=seq)


def _reject(state: CaseState, event: Any, raw: bytes, origin: Origin, key: str,
            reason: str, detail: str, also: dict[str, Any]) -> tuple[CaseState, Output]:
    state = state.evolve(seen=_seen(state, key, Seen(origin.tag(), reason, detail)),
                         counts=_count(state, rejected=1), **also)
    return state, _out(REJECTED, event, raw, origin, reason=reason, detail=detail)


class CaseProjection:
    """Applies the history rules over a store of case states (``subject -> CaseState``).

    ``cases`` is any mutable mapping: a dict in tests, a batch cache over the Faust table in the
    agent. ``touched`` collects the subjects whose state was written since ``take_touched()``.
    """

    def __init__(self, cases: MutableMapping[str, CaseState]):
        self.cases = cases
        # The largest event ``time`` read: for the views only (as-at answers, and which held
        # events have waited more than 7 days of stream time). No decision depends on it: a held
        # event is decided by its own case's notification, whatever other cases' events interleave.
        self.watermark: dt.datetime | None = None
        self.touched: set[str] = set()

    # --- recovery -------------------------------------------------------------------------
    def rebuild(self, states: Iterable[CaseState]) -> None:
        """Re-derive the latest event time from recovered case states (their ``max_time``)."""
        times = [state.max_time for state in states if state.max_time]
        self.watermark = _time(max(times)) if times else None

    # --- one message ----------------------------------------------------------------------
    def process(self, raw: bytes, origin: Origin = Origin()) -> list[Output]:
        """Apply one inbound message; return what to send, in order. Never raises: a message the
        rules fail on is rejected ``processing_error`` (see the module's docstring), its case
        unchanged."""
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
        state, outputs, _replayed = apply(self.cases.get(state_key(event)), event, raw, origin)
        # a replay is written again though unchanged: a case whose table write reached the local
        # store but not the changelog before a crash reaches the changelog now
        self.cases[state.subject] = state
        self.touched.add(state.subject)
        if self.watermark is None or event.time > self.watermark:
            self.watermark = event.time
        return outputs

    def take_touched(self) -> set[str]:
        touched, self.touched = self.touched, set()
        return touched


def held_over(states: Iterable[CaseState], now: dt.datetime | None,
              window: dt.timedelta = HOLD_WINDOW) -> list[tuple[str, str, str]]:
    """Held events whose ``time`` is more than ``window`` before ``now`` (the latest event time):
    ``(subject, source, time)``, oldest first. Their notification is overdue by the contract."""
    if now is None:
        return []
    cutoff = now - window
    late = [(state.subject, h.source, h.time) for state in states for h in state.held if _time(h.time) < cutoff]
    return sorted(late, key=lambda x: x[2])


# --- case rules -----------------------------------------------------------------------------

def current_incident(facts: Iterable[Fact]) -> dict[str, Any]:
    """The notification's data with its corrections applied in ``time`` order (ties by case_seq)."""
    incident: dict[str, Any] = {}
    for fact in sorted(facts, key=lambda f: (f.time, f.seq)):
        if fact.kind == "incident.notified":
            incident = {**fact.data, **incident} if incident else dict(fact.data)
        elif fact.kind == "incident.corrected":
            incident.update(fact.data)
    return incident


def case_rule_problem(state: CaseState, event: Any) -> str | None:
    """Why ``event`` breaks a case rule that needs the case's history, or None."""
    short = event.short_type
    facts = state.facts
    if short == "incident.corrected":
        changed = _jsonable(event.data.changes.given())
        incident = current_incident((*facts, Fact(_iso(event.time), state.seq + 1, short, changed)))
        problem = incident_problem(incident)
        if problem:
            return f"the corrected case would not be valid: {problem}"
        notified = incident["notified_date"]
        for f in facts:
            if f.kind == "rapid_review.submitted" and notified > f.data["received_date"]:
                return (f"notified_date {notified} would be after the received_date {f.data['received_date']} "
                        f"of a rapid review already accepted")
    elif short == "rapid_review.submitted":
        notified = current_incident(facts)["notified_date"]
        received = event.data.received_date.isoformat()
        if received < notified:
            return f"received_date {received} is before the case's notified_date {notified}"
    elif short == "lcspr.published":
        initiated = [f for f in facts if f.kind == "lcspr.initiated"]
        if initiated:
            latest = max(initiated, key=lambda f: (f.time, f.seq)).data["initiated_date"]
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
    "ACCEPTED", "CASE_EXISTS", "CASE_RULE_VIOLATION", "DUPLICATE", "HELD", "HOLD_WINDOW", "PARTNERSHIP", "PROCESSING_ERROR",
    "REJECTED",
    "SOURCE_NOT_AUTHORISED", "UNKNOWN_CASE", "CaseProjection", "CaseState", "Counts", "Fact", "HeldEvent", "Origin",
    "Output", "Seen", "apply", "case_rule_problem", "current_incident", "held_over", "incident_problem",
]
