"""The live learning figures (contract v2): practice themes and COVID-19 factors by quarter, and
safeguarding partnerships' yearly reports, as pure functions over the case table's states.

Definitions are producers/reference/LEARNING.md's, computed here independently: a **review of
Y** is a case (notified, not withdrawn) whose first ``rapid_review.submitted`` (by time, then
case_seq) has ``received_date`` in Y, counted in the quarter of that date; its learning is that
of its latest submission (a v1 submission has none: "not recorded", never a share of zero).
Partnerships: the states of kind ``partnership`` (``streams.cases.history``), every event the
stream has accepted (no report date: a live view is "as known now").

The worker answers ``/figures/learning?year=Y`` from these over its case states on request (one
pass over the states, off the event loop), so they hold whatever drives the fold. A viewer gets
them through the same disclosure control as every published count (``suppressed_learning``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from schemas.disclosure import Equation, shown, suppress
from schemas.learning import COVID_FACTORS, EVIDENCE_LEVELS, PRACTICE_THEMES, WT2018_REQUIREMENTS
from streams.cases.history import CaseState

QUARTERS = ("Q1", "Q2", "Q3", "Q4")


def _review(state: CaseState) -> tuple[str, dict[str, Any]] | None:
    """(first submission's received_date, latest submission's data) of a counted case, or None."""
    if state.is_partnership or state.la is None:
        return None
    kinds = {f.kind for f in state.facts}
    if "incident.notified" not in kinds or "incident.withdrawn" in kinds:
        return None
    submissions = sorted((f for f in state.facts if f.kind == "rapid_review.submitted"), key=lambda f: (f.time, f.seq))
    if not submissions:
        return None
    return submissions[0].data["received_date"], submissions[-1].data


def learning_by_quarter(states: Iterable[CaseState], year: int) -> dict[str, Any]:
    """Themes and COVID-19 factors of the reviews of ``year``, for the year ('all') and each quarter."""
    themes = {g: Counter[str]() for g in ("all", *QUARTERS)}
    factors = {g: Counter[str]() for g in ("all", *QUARTERS)}
    for state in states:
        review = _review(state)
        if review is None or not review[0].startswith(f"{year}-"):
            continue
        received, data = review
        quarter = QUARTERS[(int(received[5:7]) - 1) // 3]
        for group in ("all", quarter):
            themes[group]["reviews"] += 1
            factors[group]["reviews"] += 1
            if data.get("practice_themes") is not None:
                themes[group]["recorded"] += 1
                themes[group].update(set(data["practice_themes"]))
            if data.get("covid_factors") is not None:
                factors[group]["recorded"] += 1
                factors[group]["citing_any"] += bool(data["covid_factors"])
                factors[group].update(set(data["covid_factors"]))
    return {
        "practice_themes": {g: {k: c[k] for k in ("reviews", "recorded", *PRACTICE_THEMES)} for g, c in themes.items()},
        "covid_factors": {g: {k: c[k] for k in ("reviews", "recorded", "citing_any", *COVID_FACTORS)}
                          for g, c in factors.items()},
    }


def _overall(evidence: dict[str, str]) -> str:
    """A report's overall level from its four requirements (LEARNING.md, reading 9)."""
    levels = [evidence[r] for r in WT2018_REQUIREMENTS]
    if all(level == "fully" for level in levels):
        return "fully"
    return "not" if sum(level == "not" for level in levels) >= 3 else "partly"


def partnership_reports(states: Iterable[CaseState]) -> dict[str, Any]:
    """Partnerships registered, authorities covered, yearly reports received (of registered
    partnerships) and the Working Together 2018 evidence of each one's latest read report."""
    registered: dict[str, list[str]] = {}
    overall: Counter[str] = Counter()
    received = 0
    for state in states:
        if not state.is_partnership:
            continue
        facts = sorted(state.facts, key=lambda f: (f.time, f.seq))
        registrations = [f for f in facts if f.kind == "partnership.registered"]
        if not registrations:
            continue
        registered[state.subject] = registrations[-1].data["local_authorities"]
        reports = [f for f in facts if f.kind == "partnership.yearly_report_received"]
        if not reports:
            continue
        received += 1
        read = [f for f in reports if f.data.get("wt2018_evidence") is not None]
        overall[_overall(read[-1].data["wt2018_evidence"]) if read else "not_recorded"] += 1
    return {"partnerships": len(registered),
            "local_authorities_covered": len({la for las in registered.values() for la in las}),
            "reports_received": received,
            **{level: overall[level] for level in (*EVIDENCE_LEVELS, "not_recorded")}}


def learning_figures(states: Iterable[CaseState], year: int) -> dict[str, Any]:
    """Every live learning figure, exact (the analyst's view)."""
    states = list(states)
    return {"year": year, **learning_by_quarter(states, year), "partnerships": partnership_reports(states)}


def suppressed_learning(figures: dict[str, Any], threshold: int) -> dict[str, Any]:
    """``learning_figures`` as a viewer sees it: every count as text, 'c' from 1 to the threshold
    and wherever one could be worked out (a year's quarters add up to the year; a partnership's
    levels add up to the reports received). Reviews per quarter and the register's totals are
    published exactly elsewhere (rpt_quarterly_learning; the register), so they are shown."""
    values: dict[tuple[str, str, str], int] = {}
    equations: list[Equation] = []
    fixed = []
    for section in ("practice_themes", "covid_factors"):
        for group, counts in figures[section].items():
            for item, n in counts.items():
                values[(section, group, item)] = n
                if item == "reviews":
                    fixed.append((section, group, item))
        for item in figures[section]["all"]:
            equations.append(((section, "all", item), tuple((section, q, item) for q in QUARTERS)))
    for item, n in figures["partnerships"].items():
        values[("partnerships", "all", item)] = n
    fixed += [("partnerships", "all", k) for k in ("partnerships", "local_authorities_covered")]
    equations.append((("partnerships", "all", "reports_received"),
                      tuple(("partnerships", "all", k) for k in (*EVIDENCE_LEVELS, "not_recorded"))))
    hidden, stuck = suppress(values, equations, threshold, fixed=fixed)
    withheld = {cell[0] for cell in stuck}
    out: dict[str, Any] = {"year": figures["year"]}
    for section in ("practice_themes", "covid_factors"):
        out[section] = {} if section in withheld else {
            group: {item: shown(n, (section, group, item) in hidden) for item, n in counts.items()}
            for group, counts in figures[section].items()}
    out["partnerships"] = {} if "partnerships" in withheld else {
        item: shown(n, ("partnerships", "all", item) in hidden) for item, n in figures["partnerships"].items()}
    return out
