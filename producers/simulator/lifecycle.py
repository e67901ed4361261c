"""A case as it lives: the plan of its facts (dates and values), and the events that record them.

Both scenarios build ``CasePlan`` objects and turn them into events here, so the calibrated
history and the random one look the same: knowledge time shortly after each fact, in business
hours, written with the Europe/London offset of the day, and never before the previous event
of the same case.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from schemas.calendar import add_working_days, is_working_day
from schemas.local_authorities import PANEL_SOURCE, la_source

try:  # the publishing SDK's helper, so simulated references are made the way partners make them
    from producers.publishing.child_refs import child_ref as _child_ref
except ImportError:  # pragma: no cover - only before the publishing package exists
    import base64
    import hashlib
    import hmac

    def _child_ref(local_record_id: str | int, secret: str | bytes) -> str:
        key = secret.encode() if isinstance(secret, str) else secret
        digest = hmac.new(key, str(local_record_id).encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

LONDON = ZoneInfo("Europe/London")
# The bits uuid.UUID(..., version=4) sets: version 4 and the RFC 4122 variant.
_CLEAR_VERSION = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_SET_VERSION = (4 << 76) | (0x8000 << 48)
_encode = json.JSONEncoder(separators=(",", ":"), check_circular=False, ensure_ascii=True).encode
TYPE = "uk.gov.cspr.{}.v1"
EPOCH = dt.date(1970, 1, 1).toordinal()


@lru_cache(maxsize=8192)
def london_offset(day: dt.date) -> tuple[str, int]:
    """('+01:00', 3600) for a BST day; the offset at midday (changes happen at night)."""
    seconds = int(dt.datetime(day.year, day.month, day.day, 12, tzinfo=LONDON).utcoffset().total_seconds())  # type: ignore[union-attr]
    return (f"+{seconds // 3600:02d}:00", seconds)


def instant(day: dt.date, second_of_day: int) -> tuple[int, str]:
    """(UTC seconds since 1970, RFC 3339 text in London time) of a local time on a day."""
    text_offset, offset = london_offset(day)
    h, rest = divmod(second_of_day, 3600)
    m, s = divmod(rest, 60)
    utc = (day.toordinal() - EPOCH) * 86400 + second_of_day - offset
    return utc, f"{day.isoformat()}T{h:02d}:{m:02d}:{s:02d}{text_offset}"


def text_of_utc(utc: int) -> str:
    """RFC 3339 text in London time for UTC seconds (the inverse of ``instant``)."""
    day = dt.date.fromordinal(utc // 86400 + EPOCH)
    local = utc + london_offset(day)[1]
    day = dt.date.fromordinal(local // 86400 + EPOCH)
    local = utc + london_offset(day)[1]
    day = dt.date.fromordinal(local // 86400 + EPOCH)
    return instant(day, local - (day.toordinal() - EPOCH) * 86400)[1]


def utc_seconds(moment: dt.datetime) -> int:
    return int((moment - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)).total_seconds())


def next_working_day(day: dt.date) -> dt.date:
    return day if is_working_day(day) else add_working_days(day, 1)


def plus_wd(day: dt.date, n: int) -> dt.date:
    """n working days after day (n <= 0 gives day itself)."""
    return add_working_days(day, n) if n > 0 else day


@dataclass(slots=True)
class Fact:
    """One thing that happened to a case, on a date, recorded by an event of ``kind``."""

    day: dt.date
    kind: str  # short type, e.g. "rapid_review.submitted"
    data: dict[str, Any]
    lag: int | None = None  # working days between the fact and its recording; None = drawn


@dataclass
class CasePlan:
    subject: str
    la: str
    notification: dict[str, Any]  # data of incident.notified as first sent
    facts: list[Fact] = field(default_factory=list)
    # delivery quirks, set by the scenario
    notification_delay: int = 0  # seconds the notification's delivery is late (held events)

    @property
    def notified_date(self) -> dt.date:
        return dt.date.fromisoformat(self.notification["notified_date"])


class EventWriter:
    """Turns plans into (arrival key, UTC seconds, bytes) tuples with deterministic ids."""

    def __init__(self, rng: random.Random, cutoff: dt.datetime | None = None) -> None:
        self.rng = rng
        self.cutoff = utc_seconds(cutoff) if cutoff else None

    def new_id(self) -> str:
        """uuid.UUID(int=rng.getrandbits(128), version=4), formatted without the UUID object (hot path)."""
        n = (self.rng.getrandbits(128) & _CLEAR_VERSION) | _SET_VERSION
        h = f"{n:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def envelope(self, kind: str, source: str, subject: str, time_text: str, data: dict[str, Any]) -> dict[str, Any]:
        return {"specversion": "1.0", "id": self.new_id(), "source": source, "type": TYPE.format(kind),
                "subject": subject, "time": time_text, "datacontenttype": "application/json", "data": data}

    def _moment(self, day: dt.date, lag: int, after: int) -> tuple[int, str]:
        rng = self.rng
        when = plus_wd(next_working_day(day) if lag else day, lag)
        utc, text = instant(when, 30600 + int(rng.random() * 33300))  # 08:30 to 17:45
        if utc <= after:  # never before the case's previous event: a few minutes after it
            utc = after + 60 + int(rng.random() * 1740)
            text = text_of_utc(utc)
        return utc, text

    def events(self, plan: CasePlan) -> list[tuple[int, int, bytes]]:
        """The case's events in the order it lived them, as (arrival, utc, bytes)."""
        rng = self.rng
        out: list[tuple[int, int, bytes]] = []
        source = la_source(plan.la)
        utc, text = self._moment(plan.notified_date, 0, 0)
        doc = self.envelope("incident.notified", source, plan.subject, text, plan.notification)
        out.append((utc + plan.notification_delay, utc, _encode(doc).encode()))
        last = utc
        for fact in sorted(plan.facts, key=lambda f: f.day):
            lag = fact.lag if fact.lag is not None else rng.choice((0, 0, 0, 1, 1, 2))
            utc, text = self._moment(fact.day, lag, last)
            if self.cutoff is not None and utc > self.cutoff:
                utc, text = self._moment(fact.day, 0, last)
                if utc > self.cutoff:
                    continue  # not happened yet at the end of the history
            src = PANEL_SOURCE if fact.kind == "panel.feedback_issued" else source
            doc = self.envelope(fact.kind, src, plan.subject, text, fact.data)
            out.append((utc, utc, _encode(doc).encode()))
            last = utc
        return out


def child(rng: random.Random, secret: str, local_id: str, age: int, gender: str, ethnicity: str) -> dict[str, Any]:
    return {"child_ref": _child_ref(local_id, secret), "age_years": age, "gender": gender, "ethnicity": ethnicity}


def weighted_sample(rng: random.Random, items: list[Any], weights: list[float], k: int) -> list[Any]:
    """k distinct items, each drawn with probability proportional to its weight (Efraimidis-Spirakis)."""
    if k > len(items):
        raise ValueError(f"cannot pick {k} of {len(items)}")
    keyed = sorted(((rng.random() ** (1.0 / max(w, 1e-9)), i) for i, w in enumerate(weights)), reverse=True)
    return [items[i] for _, i in keyed[:k]]


def day_weight(day: dt.date) -> float:
    """Notifications by day: fewer at weekends and on bank holidays, most on Mondays."""
    if not is_working_day(day):
        return 0.1
    return (1.2, 1.05, 1.0, 1.0, 0.9)[day.weekday()]


def spread_dates(rng: random.Random, first: dt.date, last: dt.date, n: int,
                 season: Any = None) -> list[dt.date]:
    """n dates between first and last inclusive, by weekday pattern and an optional season factor."""
    if n <= 0:
        return []
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    weights = [day_weight(d) * (season(d) if season else 1.0) for d in days]
    return sorted(rng.choices(days, weights, k=n))
