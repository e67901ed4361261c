"""The quarterly briefing's learning section: what the rapid reviews found this quarter.

``learning_section(client, database, year, quarter)`` reads only viewer-safe tables —
``pub_learning`` (every count already through disclosure control: 'c' or digits, shares null
beside a 'c') and ``rpt_quarterly_learning`` (national quarter totals, published exactly) — and
returns what the briefing leads with: the practice themes most cited this quarter and how they
moved against the previous quarter, and the rapid reviews (which carry the LCSPR decision) overdue
in the quarter; then the year so far: the COVID-19 factors cited (pub_learning has no quarterly
split of them), the quality picture, the decisions — why no local review (para 68), which way the
Panel disagreed (para 67), the share of notifications proceeding to a local review by group of
harm (para 67) — and the partnerships' yearly reports against Working Together 2018 as known at
the vintage's date (paras 55-57). The template
``dashboards/templates/briefing/_learning.html.j2`` renders it from a context variable
``learning``. Definitions: producers/reference/LEARNING.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dashboards.marts import LEARNING, QUARTERLY

SUPPRESSED = "c"


@dataclass(frozen=True)
class ThemeRow:
    theme: str           # the contract's code (schemas/learning.py)
    label: str           # as the report words it
    this_quarter: str    # reviews first received this quarter that evidence it: digits or 'c'
    previous_quarter: str
    change: int | None   # this - previous; None when either is suppressed (or no previous quarter)
    share_pct: float | None  # of the quarter's reviews recording themes; None where not shown


@dataclass(frozen=True)
class FactorRow:
    factor: str
    label: str
    reviews: str
    share_pct: float | None


@dataclass(frozen=True)
class QualityRow:
    dimension: str
    label: str
    strong_pct: float | None
    adequate_pct: float | None
    weak_pct: float | None


@dataclass(frozen=True)
class CountRow:
    key: str             # the item's code in pub_learning
    label: str
    count: str           # digits or 'c'
    share_pct: float | None  # of the figure's denominator; None beside a 'c' or where not published


@dataclass(frozen=True)
class RateRow:
    group: str
    label: str
    notifications: str
    lcspr: str           # of them, those whose decision is a local review
    lcspr_pct: float | None


@dataclass(frozen=True)
class LearningSection:
    year: int
    quarter: int
    period: str                  # e.g. "2020 Q3"
    previous_period: str
    reviews: str                 # rapid reviews first received in the quarter
    recorded: str                # of them, those recording their practice themes
    themes: tuple[ThemeRow, ...]  # most cited first (suppressed ones last)
    covid_factors: tuple[FactorRow, ...]  # the year to date; share of the reviews recording them
    quality: tuple[QualityRow, ...]  # the year to date
    ethnicity_recorded_pct: float | None
    overdue_reviews: int         # rapid reviews due in the quarter, received late or not at all
    no_lcspr: str                # notifications of the year decided 'no LCSPR'
    no_lcspr_reasons: tuple[CountRow, ...]  # share of no_lcspr
    disagrees: str               # rapid reviews of the year whose Panel feedback disagrees
    disagreement: tuple[CountRow, ...]      # which way; share of disagrees
    decision_rates: tuple[RateRow, ...]     # by group of harm, then all notifications
    partnerships_as_of: str | None          # the date the register is known at; None: not published
    partnerships: str
    reports_received: str        # partnerships with a yearly report received
    report_evidence: tuple[CountRow, ...]   # by their latest read report; share of reports_received

    @property
    def has_recorded_learning(self) -> bool:
        return self.recorded not in ("0", SUPPRESSED)


THEME_LABELS = {
    "child_daily_life": "Understanding what the child's daily life is like",
    "reluctant_family_engagement": "Families whose engagement is reluctant and sporadic",
    "critical_thinking_and_challenge": "Critical thinking and challenge",
    "changing_risk_and_need": "Responding to changing risk and need",
    "information_sharing": "Sharing information in a timely and appropriate way",
    "leadership_and_culture": "Organisational leadership and culture",
}
FACTOR_LABELS = {
    "parental_family_stressors": "Parental and family stressors",
    "child_vulnerabilities": "Exacerbated vulnerabilities of children and young people",
    "school_closures": "Identification of, contact with and support for children",
    "covid_safe_practice": "Adaptations for COVID-safe practice",
}
DIMENSION_LABELS = {
    "analysis_and_reflection": "Analysis and reflection",
    "senior_leadership_input": "Senior leadership input",
    "decision_rationale": "Rationale for the decision",
    "family_detail": "Family detail",
}

NO_LCSPR_REASON_LABELS = {
    "learning_known_from_local_reviews": "Learning already known from local reviews on the same issue",
    "covered_by_national_review": "Covered by a national review or analysis",
    "no_new_learning_expected": "No new learning expected",
    "other": "Other reason",
    "not_recorded": "Reason not recorded",
}
DISAGREEMENT_LABELS = {
    "lcspr_needed": "The Panel thinks a local review is needed",
    "lcspr_not_needed": "The Panel thinks a local review is not needed",
    "not_recorded": "Direction not recorded",
}
HARM_GROUP_LABELS = {
    "direct_or_extra_familial_death": "Direct or extra-familial deaths",
    "death_related_to_maltreatment": "Deaths related to maltreatment",
    "other_death": "Other deaths",
    "non_fatal": "Serious harm (not fatal)",
    "all": "All notifications",
}
EVIDENCE_LABELS = {
    "fully": "Fully evidence the four requirements",
    "partly": "Partly evidence them",
    "not": "Do not evidence them",
    "not_recorded": "Not yet read",
}


def _label(labels: dict[str, str], key: str) -> str:
    return labels.get(key, key.replace("_", " ").capitalize())


def _share(cell: dict[str, Any]) -> float | None:
    """A cell's published share, never beside a suppressed count."""
    return None if cell["value"] == SUPPRESSED else cell["pct"]


def _rows(client: Any, sql: str, **parameters: Any) -> list[dict[str, Any]]:
    result = client.query(sql, parameters=parameters)
    return [dict(zip(result.column_names, r, strict=True)) for r in result.result_rows]


def _change(now: str, before: str | None) -> int | None:
    if before is None or SUPPRESSED in (now, before):
        return None
    return int(now) - int(before)


def learning_section(client: Any, database: str, year: int, quarter: int) -> LearningSection:
    """The learning section of the briefing for ``year`` Q``quarter``, from the viewer tables of
    ``database`` (one vintage)."""
    if quarter not in (1, 2, 3, 4):
        raise ValueError(f"quarter must be 1 to 4, got {quarter!r}")
    prev_year, prev_quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    table = f"{database}.{LEARNING}"
    cells = _rows(client, f"SELECT figure, year, grouping, group_value, item, item_position, value, pct FROM {table} "
                  "WHERE (figure = 'practice_themes' AND grouping = 'quarter' "
                  "       AND ((year = {y:UInt16} AND group_value = {q:String}) "
                  "            OR (year = {py:UInt16} AND group_value = {pq:String}))) "
                  "   OR (figure = 'covid_factors' AND grouping = 'all' AND year = {y:UInt16}) "
                  "   OR (figure IN ('rapid_review_quality', 'review_recording', 'no_lcspr_reasons', "
                  "                  'panel_disagreement', 'lcspr_decision_rates') AND year = {y:UInt16}) "
                  "ORDER BY figure, year, group_position, item_position",
                  y=year, q=f"Q{quarter}", py=prev_year, pq=f"Q{prev_quarter}")

    def cell(figure: str, y: int, group: str, item: str) -> dict[str, Any] | None:
        return next((c for c in cells if (c["figure"], c["year"], c["group_value"], c["item"]) == (figure, y, group, item)),
                    None)

    this, before = f"Q{quarter}", f"Q{prev_quarter}"
    themes = []
    for theme, label in THEME_LABELS.items():
        now = cell("practice_themes", year, this, theme)
        then = cell("practice_themes", prev_year, before, theme)
        value = now["value"] if now else "0"
        themes.append(ThemeRow(theme, label, value, then["value"] if then else "0",
                               _change(value, then["value"] if then else None), _share(now) if now else None))
    themes.sort(key=lambda t: (t.this_quarter == SUPPRESSED, -int(t.this_quarter) if t.this_quarter != SUPPRESSED else 0))
    factors = []
    for factor, label in FACTOR_LABELS.items():
        c = cell("covid_factors", year, "all", factor)
        factors.append(FactorRow(factor, label, c["value"] if c else "0", _share(c) if c else None))
    quality = []
    for dim, label in DIMENSION_LABELS.items():
        pcts = {r: (c["pct"] if (c := cell("rapid_review_quality", year, dim, r)) else None)
                for r in ("strong", "adequate", "weak")}
        quality.append(QualityRow(dim, label, pcts["strong"], pcts["adequate"], pcts["weak"]))
    ethnicity = cell("review_recording", year, "ethnicity_recorded", "yes")
    reviews = cell("practice_themes", year, this, "reviews")
    recorded = cell("practice_themes", year, this, "recorded")
    # the year's decisions, in the table's order
    reasons = [c for c in cells if c["figure"] == "no_lcspr_reasons" and c["group_value"] == "reason"]
    no_lcspr = next((c["value"] for c in reasons if c["item"] == "no_lcspr"), "0")
    disagreeing = [c for c in cells if c["figure"] == "panel_disagreement"]
    disagrees = next((c["value"] for c in disagreeing if c["item"] == "disagrees"), "0")
    rate_cells = [c for c in cells if c["figure"] == "lcspr_decision_rates"]
    rates = []
    order = list(HARM_GROUP_LABELS)  # the report's order; a group it does not know next; 'all' last
    for group in sorted({c["group_value"] for c in rate_cells},
                        key=lambda g: (g == "all", order.index(g) if g in order else len(order), g)):
        of = {c["item"]: c for c in rate_cells if c["group_value"] == group}
        notified, lcspr = of.get("notifications"), of.get("lcspr")
        rates.append(RateRow(group, _label(HARM_GROUP_LABELS, group), notified["value"] if notified else "0",
                             lcspr["value"] if lcspr else "0", _share(lcspr) if lcspr else None))
    # the partnership register is as at the vintage's date (its year is T's, not the quarter's)
    register = _rows(client, f"SELECT toString(as_of) AS as_of, year, item, value, pct FROM {table} "
                     "WHERE figure = 'partnership_yearly_reports' AND grouping = 'all' ORDER BY year, item_position")
    register = [r for r in register if r["year"] == register[-1]["year"]] if register else []
    known = {r["item"]: r for r in register}
    overdue = _rows(client, f"SELECT rapid_reviews_overdue FROM {database}.{QUARTERLY} "
                    "WHERE year = {y:UInt16} AND quarter = {q:UInt8}", y=year, q=quarter)
    return LearningSection(
        year=year, quarter=quarter, period=f"{year} Q{quarter}", previous_period=f"{prev_year} Q{prev_quarter}",
        reviews=reviews["value"] if reviews else "0", recorded=recorded["value"] if recorded else "0",
        themes=tuple(themes), covid_factors=tuple(factors), quality=tuple(quality),
        ethnicity_recorded_pct=ethnicity["pct"] if ethnicity else None,
        overdue_reviews=int(overdue[0]["rapid_reviews_overdue"]) if overdue else 0,
        no_lcspr=no_lcspr,
        no_lcspr_reasons=tuple(CountRow(c["item"], _label(NO_LCSPR_REASON_LABELS, c["item"]), c["value"], _share(c))
                               for c in reasons if c["item"] != "no_lcspr"),
        disagrees=disagrees,
        disagreement=tuple(CountRow(c["item"], _label(DISAGREEMENT_LABELS, c["item"]), c["value"], _share(c))
                           for c in disagreeing if c["item"] != "disagrees"),
        decision_rates=tuple(rates),
        partnerships_as_of=register[0]["as_of"] if register else None,
        partnerships=known["partnerships"]["value"] if "partnerships" in known else "0",
        reports_received=known["reports_received"]["value"] if "reports_received" in known else "0",
        report_evidence=tuple(CountRow(r["item"], _label(EVIDENCE_LABELS, r["item"]), r["value"], _share(r))
                              for r in register if r["item"] in EVIDENCE_LABELS),
    )
