"""Contract v2 output for the simulator (opt-in: ``safeguarding simulate --contract v2``).

A v1 history is written first, exactly as without this option (same draws, same figures); then
each rapid review, decision, Panel feedback and LCSPR report is rewritten as its v2 type with
coded learning drawn from its own seeded generator, and the safeguarding partnerships' events
are merged in by time. So a v2 history gives exactly the v1 figures of the same seed, and the
learning figures on top.

The draws follow the report where it gives a shape (and are otherwise plausible): parental and
family stressors dominate the COVID-19 factors for babies (NAI, SUDI) and neglect, school
closures for adolescents and suicide (paras 8-9, graph 2); the most frequent reason for no LCSPR
is learning already known from local reviews (para 68); the Panel more usually disagrees
because it thinks an LCSPR is needed (para 67); ethnicity is "a common omission" (para 66).
The partnerships are calibrated: 121 partnerships for the 151 authorities, 68 yearly reports
received by January 2021, 50 of them evidencing WT 2018 fully or partly, 18 not (paras 55-56).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from producers.simulator.lifecycle import instant
from schemas.calendar import is_working_day
from schemas.learning import COVID_FACTORS, PRACTICE_THEMES, QUALITY_DIMENSIONS, WT2018_REQUIREMENTS
from schemas.local_authorities import LOCAL_AUTHORITIES, PANEL_SOURCE

_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True).encode
_V1_TO_V2 = {
    "uk.gov.cspr.rapid_review.submitted.v1": "uk.gov.cspr.rapid_review.submitted.v2",
    "uk.gov.cspr.rapid_review.decision_made.v1": "uk.gov.cspr.rapid_review.decision_made.v2",
    "uk.gov.cspr.panel.feedback_issued.v1": "uk.gov.cspr.panel.feedback_issued.v2",
    "uk.gov.cspr.lcspr.report_received.v1": "uk.gov.cspr.lcspr.report_received.v2",
}
THEME_WEIGHTS = dict(zip(PRACTICE_THEMES, (1.2, 0.8, 1.4, 1.0, 1.5, 0.9), strict=True))
REASONS = (("learning_known_from_local_reviews", 0.44), ("no_new_learning_expected", 0.26),
           ("covered_by_national_review", 0.18), ("other", 0.08), (None, 0.04))
# Graph 2's shape: relative weight of each factor by case theme (babies and neglect: stressors;
# adolescents: school closures).
_FACTOR_WEIGHTS = {
    "baby": (0.85, 0.35, 0.10, 0.45),
    "adolescent": (0.40, 0.60, 0.75, 0.30),
    "other": (0.60, 0.45, 0.35, 0.40),
}
_BABY = frozenset(("sudi", "physical_abuse", "fatal_physical_abuse", "overt_filicide", "covert_filicide",
                   "neglect", "extreme_neglect"))


def _weighted(rng: random.Random, options: tuple[tuple[Any, float], ...]) -> Any:
    values, weights = zip(*options, strict=True)
    return rng.choices(values, weights)[0]


def _themes(rng: random.Random) -> list[str] | None:
    if rng.random() < 0.05:
        return None  # not recorded
    k = _weighted(rng, ((0, 0.04), (1, 0.22), (2, 0.34), (3, 0.26), (4, 0.14)))
    chosen: list[str] = []
    while len(chosen) < k:
        t = rng.choices(PRACTICE_THEMES, [THEME_WEIGHTS[t] for t in PRACTICE_THEMES])[0]
        if t not in chosen:
            chosen.append(t)
    return [t for t in PRACTICE_THEMES if t in chosen]


def _factors(rng: random.Random, case: dict[str, Any]) -> list[str] | None:
    if rng.random() < 0.05:
        return None
    if not case.get("covid_factor"):
        return []
    age, category = case.get("age", 8), case.get("category", "")
    kind = "baby" if age == 0 or category in _BABY else "adolescent" if age >= 11 else "other"
    cited = [f for f, w in zip(COVID_FACTORS, _FACTOR_WEIGHTS[kind], strict=True) if rng.random() < w]
    return cited or [COVID_FACTORS[0] if kind != "adolescent" else "school_closures"]


def _maybe(rng: random.Random, p_true: float, p_none: float = 0.03) -> bool | None:
    r = rng.random()
    return None if r < p_none else r < p_none + p_true


def _learning(rng: random.Random, case: dict[str, Any]) -> dict[str, Any]:
    return {"practice_themes": _themes(rng), "covid_factors": _factors(rng, case),
            "ethnicity_recorded": _maybe(rng, 0.68), "family_detail_recorded": _maybe(rng, 0.74)}


def _no_lcspr(rng: random.Random, decision: str) -> dict[str, Any]:
    if decision != "no_lcspr":
        return {"no_lcspr_reason": None, "alternative_review_proposed": None}
    return {"no_lcspr_reason": _weighted(rng, REASONS), "alternative_review_proposed": _maybe(rng, 0.16, 0.05)}


def _quality(rng: random.Random, agrees: bool) -> dict[str, str] | None:
    if rng.random() < 0.08:
        return None  # not assessed
    base = rng.random() * (0.75 if agrees else 0.45)  # a review the Panel challenges reads weaker
    out = {}
    for dim in QUALITY_DIMENSIONS:
        x = base + rng.random() * 0.5 - (0.12 if dim == "analysis_and_reflection" else 0.0)
        out[dim] = "weak" if x < 0.35 else "adequate" if x < 0.75 else "strong"
    return out


def upgrade(lines: Iterable[bytes], seed: int) -> Iterator[bytes]:
    """The same history with review, decision, feedback and report events written as v2."""
    cases: dict[str, dict[str, Any]] = {}
    written: dict[tuple[str, str], bytes] = {}
    for raw in lines:
        try:
            doc = json.loads(raw)
            kind, subject, data = doc["type"], doc["subject"], doc["data"]
            key = (doc["source"], str(doc["id"]).lower())
        except (ValueError, TypeError, KeyError):
            yield raw  # an invalid line stays as it is
            continue
        if not isinstance(data, dict) or not isinstance(subject, str):
            yield raw
            continue
        if key in written:  # a duplicate delivery stays the same bytes
            yield written[key]
            continue
        case = cases.setdefault(subject, {})
        if kind == "uk.gov.cspr.incident.notified.v1":
            children = data.get("children") or [{}]
            case.update(category=data.get("category"), covid_factor=data.get("covid_factor"),
                        age=min((c.get("age_years", 8) for c in children if isinstance(c, dict)), default=8))
        elif kind == "uk.gov.cspr.incident.corrected.v1" and isinstance(data.get("changes"), dict):
            case.update({k: v for k, v in data["changes"].items() if k in ("category", "covid_factor")})
        new_type = _V1_TO_V2.get(kind)
        if new_type is None or not isinstance(doc.get("id"), str):
            written[key] = raw
            yield raw
            continue
        rng = random.Random(f"{seed}:{doc['id']}")
        if kind.endswith("submitted.v1") or kind.endswith("decision_made.v1"):
            decision = data.get("decision")
            case["decision"] = decision
            extra = _no_lcspr(rng, str(decision))
            if kind.endswith("submitted.v1"):
                extra.update(_learning(rng, case))
        elif kind.endswith("feedback_issued.v1"):
            agrees = data.get("agrees_with_decision") is True
            direction = None if agrees or rng.random() < 0.03 else (
                "lcspr_not_needed" if case.get("decision") == "lcspr" else "lcspr_needed")
            extra = {"disagreement": direction, "quality": _quality(rng, agrees)}
        else:
            extra = _learning(rng, case)
        doc["type"] = new_type
        doc["data"] = {**data, **extra}
        out = _encode(doc).encode()
        written[key] = out
        yield out


# --- safeguarding partnerships --------------------------------------------------------------


def _panel_event(rng: random.Random, kind: str, subject: str, day: dt.date, data: dict[str, Any]) -> tuple[int, bytes]:
    utc, text = instant(day, 32400 + int(rng.random() * 28800))  # 09:00 to 17:00 London time
    doc = {"specversion": "1.0", "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "source": PANEL_SOURCE,
           "type": f"uk.gov.cspr.partnership.{kind}.v1", "subject": subject, "time": text,
           "datacontenttype": "application/json", "data": data}
    return utc, _encode(doc).encode()


def _working_day(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    """A working day between first and last (both working days)."""
    day = first + dt.timedelta(days=rng.randint(0, (last - first).days))
    while not is_working_day(day) and day < last:
        day += dt.timedelta(days=1)
    while not is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


def _partnerships(rng: random.Random, partnerships: int) -> list[list[str]]:
    """England's 151 authorities in ``partnerships`` groups of neighbours in the same region."""
    codes = [(la.region_code, la.code) for la in LOCAL_AUTHORITIES]
    groups = [[code] for _, code in codes]
    regions = [region for region, _ in codes]
    while len(groups) > partnerships:
        i = rng.randrange(len(groups) - 1)
        if len(groups[i]) + len(groups[i + 1]) <= 3 and regions[i] == regions[i + 1]:
            groups[i] += groups.pop(i + 1)
            regions.pop(i + 1)
    return groups


def _evidence(rng: random.Random, overall: str) -> dict[str, str]:
    if overall == "fully":
        return dict.fromkeys(WT2018_REQUIREMENTS, "fully")
    if overall == "not":
        levels = ["not", "not", "not", rng.choice(("not", "partly"))]
    else:
        levels = [rng.choice(("fully", "partly", "partly")) for _ in range(3)] + [rng.choice(("partly", "not"))]
        if all(level == "fully" for level in levels):
            levels[0] = "partly"
    rng.shuffle(levels)
    return dict(zip(WT2018_REQUIREMENTS, levels, strict=True))


def calibrated_partnerships(seed: int, targets: dict[str, Any], cutoff: dt.date) -> list[tuple[int, bytes]]:
    """Registrations in 2019 and yearly reports to the report's counts, as (utc, bytes)."""
    rng = random.Random(f"partnerships:{seed}")
    groups = _partnerships(rng, targets["partnerships"]["partnerships"])
    reports = targets["partnership_yearly_reports"]
    by = dt.date.fromisoformat(reports["as_of"])
    out = []
    order = list(range(len(groups)))
    rng.shuffle(order)
    fully = rng.randint(8, 14)
    verdicts = (["fully"] * fully + ["partly"] * (reports["fully_or_partly"] - fully) + ["not"] * reports["not"])
    rng.shuffle(verdicts)
    late = rng.randint(15, 30)  # received after the as-at date, before the end of the history
    for n, i in enumerate(order):
        subject = f"SCP-{i + 1:04d}"
        registered = _working_day(rng, dt.date(2019, 6, 3), dt.date(2019, 9, 27))
        out.append(_panel_event(rng, "registered", subject, registered,
                                {"registered_date": registered.isoformat(), "local_authorities": groups[i]}))
        evidence: dict[str, str] | None
        if n < reports["received"]:
            received, evidence = _working_day(rng, dt.date(2020, 2, 3), by), _evidence(rng, verdicts[n])
        elif n < reports["received"] + late:
            received = _working_day(rng, by + dt.timedelta(days=1), cutoff)
            evidence = _evidence(rng, rng.choice(("partly", "partly", "not"))) if rng.random() < 0.5 else None
        else:
            continue
        period_end = received - dt.timedelta(days=rng.randint(30, 150))
        out.append(_panel_event(rng, "yearly_report_received", subject, received,
                                {"received_date": received.isoformat(), "period_end": period_end.isoformat(),
                                 "wt2018_evidence": evidence}))
    return sorted(out)


def random_partnerships(seed: int, first_year: int, last_day: dt.date) -> list[tuple[int, bytes]]:
    """Every partnership registered at the start, then a yearly report most years."""
    rng = random.Random(f"partnerships:{seed}")
    out = []
    for i, group in enumerate(_partnerships(rng, 121)):
        subject = f"SCP-{i + 1:04d}"
        registered = _working_day(rng, dt.date(first_year, 1, 2), dt.date(first_year, 3, 31))
        out.append(_panel_event(rng, "registered", subject, registered,
                                {"registered_date": registered.isoformat(), "local_authorities": group}))
        year = first_year
        while True:
            received = _working_day(rng, dt.date(year, 4, 1), dt.date(year, 12, 18))
            if received > last_day:
                break
            if rng.random() < 0.85:
                evidence = None if rng.random() < 0.15 else _evidence(rng, _weighted(
                    rng, (("fully", 0.15), ("partly", 0.6), ("not", 0.25))))
                period_end = received - dt.timedelta(days=rng.randint(30, 150))
                out.append(_panel_event(rng, "yearly_report_received", subject, received,
                                        {"received_date": received.isoformat(), "period_end": period_end.isoformat(),
                                         "wt2018_evidence": evidence}))
            year += 1
    return sorted(out)


def merge(lines: Iterable[bytes], timed: list[tuple[int, bytes]]) -> Iterator[bytes]:
    """Partnership events merged into a history in arrival order, each when its time has come."""
    pending = list(timed)
    i = 0
    for raw in lines:
        moment = _utc_of(raw)
        while moment is not None and i < len(pending) and pending[i][0] <= moment:
            yield pending[i][1]
            i += 1
        yield raw
    for _, raw in pending[i:]:
        yield raw


def _utc_of(raw: bytes) -> int | None:
    try:
        text = json.loads(raw)["time"]
        moment = dt.datetime.fromisoformat(text.upper())
    except (ValueError, TypeError, KeyError):
        return None
    if moment.tzinfo is None:
        return None
    return int(moment.timestamp())
