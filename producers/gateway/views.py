"""A partner's own view, read from the warehouse: what it sent and what became of it, its rapid
reviews due and overdue, and the fields its notifications most often leave empty.

Everything here is filtered by the authenticated partner's authority, in the query: a partner
never reads a row of another partner's cases.

- accepted: the raw store's rows with ``source`` = the partner;
- dead-lettered: dead letters read from the partner's own inbound topic (the stream's partner
  relay refuses them there: another authority's ``source``, or not an event at all), and those
  the case stage rejected from the shared inbound topic whose ``source`` is the partner (only the
  gateway and the relay write that topic, each after checking the partner's authority);
- held: events waiting for their case's notification are in the worker's case table, not in the
  warehouse, so only the worker can list them (``held`` is None when the views read the
  warehouse alone: such an id shows as not stored);
- not stored yet: an id in none of these is still in the stream, or was never received.

Two ways to the same reads: ``PartnerViews`` queries the warehouse itself (a production gateway,
as ClickHouse user ``partner_views``; or ``gateway serve --data-dir`` on a stopped stack's chDB
folder); ``WorkerViews`` asks the worker that owns the chDB folder under ``safeguarding up``
(``streams.partner_views``), forwarding the partner's own token, which the worker checks again
and reads with ``PartnerViews``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from producers.reference.figures import cases_as_at
from producers.reference.history import AcceptedEvent
from schemas import parse_event
from schemas.calendar import REQUESTED_COMPLETION_WORKING_DAYS, requested_completion_date, working_days
from schemas.errors import CsprError
from schemas.figures import pct
from schemas.partners import partner_topic
from schemas.reasons import REASONS

if TYPE_CHECKING:
    from producers.gateway.credentials import Partner

NOTIFIED = "uk.gov.cspr.incident.notified.v1"
# Null by the contract's rule, not for want of data: subcategory is set for a maltreatment-related
# death and must be null for every other category.
NULL_BY_RULE = frozenset({"subcategory"})
_EVENT_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_DATABASE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class ViewUnavailable(CsprError):
    """The warehouse could not be read (the gateway answers 503 with this message)."""


@dataclass(frozen=True)
class PartnerViews:
    """Reads for one warehouse. ``client`` gives a clickhouse-connect client (or raises)."""

    client: Callable[[], Any]
    database: str
    inbound_topic: str

    def __post_init__(self) -> None:
        if not _DATABASE.match(self.database):
            raise ValueError(f"invalid ClickHouse database name {self.database!r}")

    def for_partner(self, partner: Partner) -> PartnerViews:
        """The reads for this partner (the same object: each read takes the authority)."""
        return self

    def _rows(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        try:
            client = self.client()
            return list(client.query(sql, parameters=params).result_rows)
        except CsprError as exc:
            raise ViewUnavailable(f"the warehouse cannot be read now: {exc}") from exc
        except Exception as exc:  # clickhouse-connect / chDB errors: one line for the partner
            raise ViewUnavailable(f"the warehouse cannot be read now ({type(exc).__name__}: "
                                  f"{str(exc).splitlines()[0][:200] if str(exc) else ''})") from exc

    # --- what became of what it sent ----------------------------------------------------
    def accepted(self, authority: str, limit: int = 1000, event_id: str | None = None) -> list[dict[str, Any]]:
        where = "source = {a:String}" + (" AND event_id = {id:String}" if event_id else "")
        rows = self._rows(
            f"SELECT event_id, type, subject, time_text, case_seq, toString(ingested_at) "
            f"FROM {self.database}.raw_events FINAL WHERE {where} "
            f"ORDER BY ingested_at DESC, subject, case_seq LIMIT {int(limit)}",
            {"a": authority, "id": (event_id or "").lower()})
        return [{"id": r[0], "status": "accepted", "type": r[1], "subject": r[2], "time": r[3],
                 "case_seq": int(r[4]), "stored_at": r[5]} for r in rows]

    def dead_letters(self, authority: str, limit: int = 1000, event_id: str | None = None) -> list[dict[str, Any]]:
        where = ("(origin_topic = {own:String} OR (origin_topic = {inbound:String} AND source = {a:String}))"
                 + (" AND event_id = {id:String}" if event_id else ""))
        rows = self._rows(
            f"SELECT event_id, type, subject, reason, detail, problems, toString(dead_lettered_at), raw_sha256 "
            f"FROM {self.database}.dead_letters FINAL WHERE {where} "
            f"ORDER BY dead_lettered_at DESC, raw_sha256 LIMIT {int(limit)}",
            {"a": authority, "own": partner_topic(self.inbound_topic, authority), "inbound": self.inbound_topic,
             "id": (event_id or "").lower()})
        out = []
        for r in rows:
            try:
                problems = json.loads(r[5]) if r[5] else []
            except ValueError:
                problems = []
            out.append({"id": r[0], "status": "dead_lettered", "type": r[1], "subject": r[2], "reason": r[3],
                        "reason_means": REASONS.get(r[3], ""), "detail": r[4], "problems": problems,
                        "dead_lettered_at": r[6], "message_sha256": str(r[7])})
        return out

    def event(self, authority: str, event_id: str) -> dict[str, Any]:
        """What became of one event id this partner sent."""
        if not _EVENT_ID.match(event_id):
            raise ValueError("an event id is 1-128 letters, digits or . _ : -")
        accepted = self.accepted(authority, 1, event_id)
        dead = self.dead_letters(authority, 100, event_id)
        if accepted:
            return {**accepted[0], "dead_letters": dead}
        if dead:
            return {"id": event_id.lower(), "status": "dead_lettered", "dead_letters": dead}
        return {"id": event_id.lower(), "status": "not_stored",
                "means": "not in the raw store nor dead-lettered: held for its case's notification (until "
                         "it arrives), still in the stream, or never received"}

    def held(self, authority: str, limit: int = 1000) -> list[dict[str, Any]] | None:
        """Held events live in the worker's case table, not in the warehouse: not known here."""
        return None

    # --- its rapid reviews ----------------------------------------------------------------
    def _cases(self, authority: str, as_of: dt.date) -> list[Any]:
        rows = self._rows(
            f"SELECT event, case_seq FROM {self.database}.raw_events FINAL WHERE subject IN ("
            f"SELECT subject FROM {self.database}.raw_events FINAL WHERE source = {{a:String}} "
            f"AND type = {{t:String}}) ORDER BY subject, case_seq",
            {"a": authority, "t": NOTIFIED})
        accepted = []
        for text, seq in rows:
            raw = text.encode("utf-8")
            accepted.append(AcceptedEvent(parse_event(raw), raw, int(seq)))
        # a case is the partner's when it notified it (the Panel's events on it are included)
        return [c for c in cases_as_at(accepted, as_of) if c.of("incident.notified")[0].event.source == authority]

    def rapid_reviews(self, authority: str, as_of: dt.date) -> dict[str, Any]:
        due: list[dict[str, Any]] = []
        overdue: list[dict[str, Any]] = []
        received = 0
        for case in self._cases(authority, as_of):
            if case.first("rapid_review.submitted") is not None:
                received += 1
                continue
            notified = case.notified_date
            deadline = requested_completion_date(notified)
            row = {"subject": case.subject, "notified_date": notified.isoformat(),
                   "requested_completion_date": deadline.isoformat(),
                   "working_days_since_notification": working_days(notified, as_of)}
            if deadline < as_of:
                row["working_days_overdue"] = row["working_days_since_notification"] - REQUESTED_COMPLETION_WORKING_DAYS
                overdue.append(row)
            else:
                due.append(row)
        due.sort(key=lambda r: (r["requested_completion_date"], r["subject"]))
        overdue.sort(key=lambda r: (-int(r["working_days_overdue"]), r["subject"]))
        return {"as_of": as_of.isoformat(), "received": received, "due": due, "overdue": overdue}

    # --- its data quality -------------------------------------------------------------------
    def data_quality(self, authority: str) -> dict[str, Any]:
        rows = self._rows(
            f"SELECT data FROM {self.database}.raw_events FINAL WHERE source = {{a:String}} AND type = {{t:String}}",
            {"a": authority, "t": NOTIFIED})
        missing: Counter[str] = Counter()
        present: Counter[str] = Counter()
        for (text,) in rows:
            _count_empty(json.loads(text), "", missing, present)
        fields: list[dict[str, Any]] = [
            {"field": f, "missing": missing[f], "of": missing[f] + present[f],
             "missing_pct": pct(missing[f], missing[f] + present[f])}
            for f in sorted(missing, key=lambda f: (-missing[f], f)) if f not in NULL_BY_RULE]
        return {"notifications": len(rows), "fields_most_often_missing": fields}


@dataclass(frozen=True)
class WorkerViews:
    """The partner views asked of the worker that owns the warehouse (``url``: its web server on
    loopback). ``for_partner`` gives the reads as that partner: each carries the partner's token."""

    url: str
    timeout_s: float = 60.0

    def for_partner(self, partner: Partner) -> PartnerReads:
        return PartnerReads(self, partner.authority, partner.token)


@dataclass(frozen=True)
class PartnerReads:
    """``PartnerViews``' reads for one partner, answered by the worker (``streams.partner_views``).

    The worker derives the authority from the token itself; the one it answers for must be the
    one the gateway authenticated, and each read's ``authority`` argument must be it too."""

    worker: WorkerViews
    authority: str
    token: str

    def _get(self, view: str, authority: str, **query: Any) -> Any:
        if authority != self.authority:
            raise ValueError(f"these reads are {self.authority}'s, not {authority}'s")
        url = f"{self.worker.url}/partner-views/{view}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=self.worker.timeout_s) as resp:
                doc = json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            try:
                message = str(json.loads(exc.read()).get("message", ""))
            except (ValueError, AttributeError):
                message = ""
            if exc.code == 400:
                raise ValueError(message or "the worker refused the query") from None
            raise ViewUnavailable(f"the worker that holds the warehouse answered {exc.code}"
                                  + (f": {message}" if message else "")) from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise ViewUnavailable(f"the worker that holds the warehouse does not answer now ({reason}); "
                                  "try again shortly") from None
        if doc.get("authority") != self.authority:  # cannot happen: one token, one authority
            raise ViewUnavailable("the worker answered for another authority; nothing shown")
        return doc["answer"]

    def accepted(self, authority: str, limit: int = 1000) -> list[dict[str, Any]]:
        return list(self._get("accepted", authority, limit=limit))

    def dead_letters(self, authority: str, limit: int = 1000) -> list[dict[str, Any]]:
        return list(self._get("dead-letters", authority, limit=limit))

    def held(self, authority: str, limit: int = 1000) -> list[dict[str, Any]] | None:
        return list(self._get("held", authority, limit=limit))

    def event(self, authority: str, event_id: str) -> dict[str, Any]:
        if not _EVENT_ID.match(event_id):
            raise ValueError("an event id is 1-128 letters, digits or . _ : -")
        return dict(self._get("event", authority, id=event_id))

    def rapid_reviews(self, authority: str, as_of: dt.date) -> dict[str, Any]:
        return dict(self._get("rapid-reviews", authority, as_of=as_of.isoformat()))

    def data_quality(self, authority: str) -> dict[str, Any]:
        return dict(self._get("data-quality", authority))


def _count_empty(value: Any, path: str, missing: Counter[str], present: Counter[str]) -> None:
    """Count each field left null (``children[].ethnicity``: over every child)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            _count_empty(inner, f"{path}.{key}" if path else key, missing, present)
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for inner in value:
            _count_empty(inner, f"{path}[]", missing, present)
    elif value is None:
        missing[path] += 1
    else:
        present[path] += 1
