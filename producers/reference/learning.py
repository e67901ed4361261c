"""The learning figures (contract v2, and the report's v1 cross-tabulations), from events.

Read with ``LEARNING.md`` beside it: the definitions, and the readings taken where they leave a
choice. Case events are replayed by the contract's history rules (``history.replay``) and read
in their latest version (``schemas.upcast``: a v1 review has "not recorded" learning);
partnership events are their own stream, folded here (``partnerships_as_at``).

    from producers.reference.learning import compute_learning
    learning = compute_learning(lines, year=2020, as_of=date(2021, 3, 31), partnerships_as_of=date(2021, 1, 31))
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from producers.reference.figures import (
    AGE_BANDS,
    CaseAsAt,
    age_band,
    cases_as_at,
    end_of,
    rapid_review_timeliness,
    reviews_received_in_year,
)
from producers.reference.history import Replay, replay
from schemas import upcast
from schemas.calendar import TIMELINESS_BUCKETS
from schemas.figures import pct
from schemas.incidents import DEATH_CATEGORIES, HARM_TYPES, NON_FATAL_CATEGORIES
from schemas.learning import (
    COVID_FACTORS,
    DISAGREEMENT_DIRECTIONS,
    EVIDENCE_LEVELS,
    NO_LCSPR_REASONS,
    PRACTICE_THEMES,
    QUALITY_DIMENSIONS,
    QUALITY_RATINGS,
    WT2018_REQUIREMENTS,
)

NOT_RECORDED = "not_recorded"

# Para 67's groups of harm (Table 2's headings): deaths directly caused by maltreatment and
# extra-familial assaults and homicides; deaths related to but not directly caused by
# maltreatment (SUDI, suicide and "other deaths related to maltreatment"); other deaths; non-fatal.
DIRECT_OR_EXTRA_FAMILIAL = ("overt_filicide", "covert_filicide", "fatal_physical_abuse",
                            "severe_persistent_cruelty", "extreme_neglect", "extra_familial_homicide",
                            "extra_familial_fatal_assault")
RELATED_TO_MALTREATMENT = ("sudi", "suicide", "maltreatment_related_death")
OTHER_DEATHS = ("not_maltreatment_related", "not_clear")
HARM_GROUPS = ("direct_or_extra_familial_death", "death_related_to_maltreatment", "other_death", "non_fatal")

# Graph 2's case themes, from the category and the youngest child's age (LEARNING.md, reading 4).
CASE_THEMES = ("nai_under_1", "sudi", "suicide", "neglect", "adolescent_extra_familial_harm", "other")
_ADOLESCENT_CATEGORIES = frozenset((
    "extra_familial_homicide", "extra_familial_fatal_assault", "sexual_abuse_extra_familial",
    "sexual_exploitation", "criminal_exploitation", "young_person_perpetrator", "risk_taking_or_violent"))
_NAI_CATEGORIES = frozenset(("physical_abuse", "fatal_physical_abuse", "overt_filicide", "covert_filicide"))


def harm_group(case: CaseAsAt) -> str:
    if case.harm != "death":
        return "non_fatal"
    category = case.incident["category"]
    if category in DIRECT_OR_EXTRA_FAMILIAL:
        return "direct_or_extra_familial_death"
    if category in RELATED_TO_MALTREATMENT:
        return "death_related_to_maltreatment"
    return "other_death"


def youngest_age(case: CaseAsAt) -> int:
    return min(int(child.age_years) for child in case.incident["children"])


def case_theme(case: CaseAsAt) -> str:
    category = case.incident["category"]
    if category in ("sudi", "suicide"):
        return str(category)
    if category in _NAI_CATEGORIES and youngest_age(case) == 0:
        return "nai_under_1"
    if category in ("neglect", "extreme_neglect"):
        return "neglect"
    if category in _ADOLESCENT_CATEGORIES:
        return "adolescent_extra_familial_harm"
    return "other"


def quarter_of(day: dt.date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


# --- reading: case events replayed, partnership events folded apart ---------------------------


@dataclass
class LearningInput:
    replay: Replay
    partnership_events: list[Any]  # accepted (first delivery only), in arrival order


def split(lines: Iterable[bytes | str]) -> LearningInput:
    """The history rules' replay, with the partnership events it routed apart."""
    result = replay(lines)
    return LearningInput(result, [a.event for a in result.partnerships])


def compute_learning(lines: Iterable[bytes | str], year: int, as_of: dt.date,
                     partnerships_as_of: dt.date | None = None) -> dict[str, Any]:
    """Every learning figure of LEARNING.md for year Y as known at T (partnerships as at D)."""
    return learning_from_input(split(lines), year, as_of, partnerships_as_of)


def learning_from_input(data: LearningInput, year: int, as_of: dt.date,
                        partnerships_as_of: dt.date | None = None) -> dict[str, Any]:
    cases = cases_as_at(data.replay.accepted, as_of)
    in_year = [c for c in cases if c.notified_date.year == year]
    reviewed = reviews_received_in_year(cases, year)
    return {
        "year": year,
        "as_of": as_of.isoformat(),
        "practice_themes": practice_themes(reviewed, year),
        "covid_factors_by_case_theme": covid_factors_by_case_theme(reviewed),
        "ethnicity_recorded": recorded_share(reviewed, "ethnicity_recorded"),
        "family_detail_recorded": recorded_share(reviewed, "family_detail_recorded"),
        "lcspr_report_themes": lcspr_report_themes(cases, year),
        "no_lcspr_reasons": no_lcspr_reasons(in_year),
        "panel_disagreement": panel_disagreement(reviewed),
        "rapid_review_quality": rapid_review_quality(reviewed),
        "lcspr_decision_rates": lcspr_decision_rates(in_year),
        "neglect_in_deaths": neglect_in_deaths(in_year),
        "relaxation_within_25_working_days": within_25_working_days(cases, year, as_of),
        "partnership_yearly_reports": partnership_yearly_reports(data.partnership_events,
                                                                 partnerships_as_of or as_of),
    }


# --- what the reviews found --------------------------------------------------------------------


def latest_review(case: CaseAsAt) -> Any:
    """The case's latest rapid_review.submitted known at T, in its latest version (v1 upcast)."""
    latest = case.latest("rapid_review.submitted")
    return upcast(latest.event) if latest is not None else None


def _theme_block(reviews: list[Any], noun: str = "reviews") -> dict[str, Any]:
    recorded = [r for r in reviews if r.data.practice_themes is not None]
    counts = Counter(t for r in recorded for t in set(r.data.practice_themes))
    return {noun: len(reviews), "recorded": len(recorded), **{t: counts[t] for t in PRACTICE_THEMES}}


def practice_themes(reviewed: list[CaseAsAt], year: int) -> dict[str, Any]:
    by_quarter: dict[str, list[Any]] = {f"{year}Q{q}": [] for q in range(1, 5)}
    by_harm: dict[str, list[Any]] = {h: [] for h in HARM_TYPES}
    by_category: dict[str, list[Any]] = {c: [] for c in (*DEATH_CATEGORIES, *NON_FATAL_CATEGORIES)}
    by_age: dict[str, list[Any]] = {name: [] for name, _, _ in AGE_BANDS}
    for c in reviewed:
        review = latest_review(c)
        first = c.first("rapid_review.submitted")
        assert first is not None  # a review of Y has a first submission
        by_quarter[quarter_of(first.event.data.received_date)].append(review)
        by_harm[c.harm].append(review)
        by_category[c.incident["category"]].append(review)
        by_age[age_band(youngest_age(c))].append(review)
    return {
        "all": _theme_block([latest_review(c) for c in reviewed]),
        "by_quarter": {k: _theme_block(v) for k, v in by_quarter.items()},
        "by_harm_type": {k: _theme_block(v) for k, v in by_harm.items()},
        "by_category": {k: _theme_block(v) for k, v in by_category.items()},
        "by_age_band": {k: _theme_block(v) for k, v in by_age.items()},
    }


def covid_factors_by_case_theme(reviewed: list[CaseAsAt]) -> dict[str, Any]:
    out = {}
    for theme in CASE_THEMES:
        reviews = [latest_review(c) for c in reviewed if case_theme(c) == theme]
        recorded = [r for r in reviews if r.data.covid_factors is not None]
        counts = Counter(f for r in recorded for f in set(r.data.covid_factors))
        out[theme] = {"reviews": len(reviews), "recorded": len(recorded),
                      "citing_any": sum(1 for r in recorded if r.data.covid_factors),
                      **{f: counts[f] for f in COVID_FACTORS}}
    return out


def recorded_share(reviewed: list[CaseAsAt], name: str) -> dict[str, Any]:
    """Reviews that record it (yes), that omit it (no), and where v2 was not used (not_recorded)."""
    values = Counter(getattr(latest_review(c).data, name) for c in reviewed)
    yes, no = values[True], values[False]
    return {"yes": yes, "no": no, NOT_RECORDED: values[None], "pct": pct(yes, yes + no)}


def lcspr_report_themes(cases: list[CaseAsAt], year: int) -> dict[str, Any]:
    """LCSPR reports received in Y (latest report known at T): themes and COVID factors."""
    end = dt.date(year, 12, 31)
    reports = []
    for c in cases:
        received = [a for a in c.of("lcspr.report_received") if dt.date(year, 1, 1) <= a.event.data.received_date <= end]
        if received:
            reports.append(upcast(max(received, key=lambda a: a.order).event))
    block = _theme_block(reports, "reports")
    recorded = [r for r in reports if r.data.covid_factors is not None]
    factors = Counter(f for r in recorded for f in set(r.data.covid_factors))
    return {**block, "covid_factors": {"recorded": len(recorded), **{f: factors[f] for f in COVID_FACTORS}}}


# --- decisions and the Panel's challenge ----------------------------------------------------------


def _decision(case: CaseAsAt) -> Any:
    latest = case.latest("rapid_review.submitted", "rapid_review.decision_made")
    return upcast(latest.event) if latest is not None else None


def no_lcspr_reasons(in_year: list[CaseAsAt]) -> dict[str, Any]:
    decisions = [d for c in in_year if (d := _decision(c)) is not None and d.data.decision == "no_lcspr"]
    reasons = Counter(d.data.no_lcspr_reason or NOT_RECORDED for d in decisions)
    alternative = Counter(d.data.alternative_review_proposed for d in decisions)
    return {
        "no_lcspr": len(decisions),
        "reason": {r: reasons[r] for r in (*NO_LCSPR_REASONS, NOT_RECORDED)},
        "alternative_review_proposed": {"yes": alternative[True], "no": alternative[False],
                                        NOT_RECORDED: alternative[None]},
    }


def _latest_feedback(case: CaseAsAt) -> Any:
    latest = case.latest("panel.feedback_issued")
    return upcast(latest.event) if latest is not None else None


def panel_disagreement(reviewed: list[CaseAsAt]) -> dict[str, Any]:
    disagreeing = [f for c in reviewed if (f := _latest_feedback(c)) is not None and not f.data.agrees_with_decision]
    counts = Counter(f.data.disagreement or NOT_RECORDED for f in disagreeing)
    return {"disagrees": len(disagreeing), **{d: counts[d] for d in (*DISAGREEMENT_DIRECTIONS, NOT_RECORDED)}}


def rapid_review_quality(reviewed: list[CaseAsAt]) -> dict[str, Any]:
    assessed = [f.data.quality for c in reviewed if (f := _latest_feedback(c)) is not None and f.data.quality]
    out: dict[str, Any] = {"assessed": len(assessed)}
    for dim in QUALITY_DIMENSIONS:
        counts = Counter(getattr(q, dim) for q in assessed)
        out[dim] = {**{r: counts[r] for r in QUALITY_RATINGS}, "weak_pct": pct(counts["weak"], len(assessed))}
    return out


def lcspr_decision_rates(in_year: list[CaseAsAt]) -> dict[str, Any]:
    out = {}
    for group in HARM_GROUPS:
        members = [c for c in in_year if harm_group(c) == group]
        counts = Counter(d.data.decision if (d := _decision(c)) is not None else "undecided" for c in members)
        out[group] = {"notifications": len(members), **{k: counts[k] for k in ("lcspr", "no_lcspr", "undecided")},
                      "lcspr_pct": pct(counts["lcspr"], len(members))}
    return out


# --- the report's v1 cross-tabulations -------------------------------------------------------


def neglect_in_deaths(in_year: list[CaseAsAt]) -> dict[str, Any]:
    def block(members: list[CaseAsAt]) -> dict[str, Any]:
        n = sum(1 for c in members if "neglect" in c.incident["case_characteristics"])
        return {"notifications": len(members), "neglect": n, "pct": pct(n, len(members))}

    deaths = [c for c in in_year if c.harm == "death"]
    return {
        "sudi": block([c for c in deaths if c.incident["category"] == "sudi"]),
        "death_related_to_maltreatment": block([c for c in deaths if c.incident["category"] in RELATED_TO_MALTREATMENT]),
        "all_deaths": block(deaths),
    }


def within_25_working_days(cases: list[CaseAsAt], year: int, as_of: dt.date) -> dict[str, Any]:
    table = rapid_review_timeliness(cases, year, as_of)
    out = {}
    for period in ("relaxation", "outside_relaxation", "all"):
        rows = table[period]
        total = sum(rows[b]["received"] + rows[b]["not_received"] for b in TIMELINESS_BUCKETS)
        within = rows["1-15"]["received"] + rows["16-25"]["received"]
        out[period] = {"reviews": total, "within_25": within, "pct": pct(within, total)}
    return out


# --- safeguarding partnerships -----------------------------------------------------------------


def overall_evidence(evidence: Any) -> str:
    """A report's overall reading from its four requirements (LEARNING.md, reading 9)."""
    levels = [getattr(evidence, r) for r in WT2018_REQUIREMENTS]
    if all(level == "fully" for level in levels):
        return "fully"
    if sum(level == "not" for level in levels) >= 3:
        return "not"
    return "partly"


def partnership_yearly_reports(events: list[Any], as_of: dt.date) -> dict[str, Any]:
    cutoff = end_of(as_of)
    known = sorted((e for e in events if e.time <= cutoff), key=lambda e: e.time)  # stable: arrival order on ties
    registered: dict[str, Any] = {}
    reports: dict[str, list[Any]] = {}
    for e in known:
        if e.short_type == "partnership.registered":
            registered[e.subject] = e
        elif e.data.received_date <= as_of:
            reports.setdefault(e.subject, []).append(e)
    reports = {p: r for p, r in reports.items() if p in registered}
    overall: Counter[str] = Counter()
    by_requirement = {r: Counter[str]() for r in WT2018_REQUIREMENTS}
    for _p, received in reports.items():
        read = [r for r in received if r.data.wt2018_evidence is not None]
        if not read:
            overall[NOT_RECORDED] += 1
            continue
        evidence = read[-1].data.wt2018_evidence
        overall[overall_evidence(evidence)] += 1
        for r in WT2018_REQUIREMENTS:
            by_requirement[r][getattr(evidence, r)] += 1
    covered = {la for e in registered.values() for la in e.data.local_authorities}
    return {
        "as_of": as_of.isoformat(),
        "partnerships": len(registered),
        "local_authorities_covered": len(covered),
        "reports_received": len(reports),
        "evidence": {**{lvl: overall[lvl] for lvl in EVIDENCE_LEVELS}, NOT_RECORDED: overall[NOT_RECORDED]},
        "fully_or_partly": overall["fully"] + overall["partly"],
        "by_requirement": {r: {lvl: by_requirement[r][lvl] for lvl in EVIDENCE_LEVELS} for r in WT2018_REQUIREMENTS},
    }


def dumps(figures: dict[str, Any]) -> str:
    return json.dumps(figures, indent=2, sort_keys=True)
