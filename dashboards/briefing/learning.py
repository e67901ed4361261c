"""The quarterly briefing's learning section: what the rapid reviews found this quarter.

``learning_section(client, database, year, quarter)`` reads only viewer-safe tables —
``pub_learning`` (every count already through disclosure control: 'c' or digits, shares null
beside a 'c') and ``rpt_quarterly_learning`` (national quarter totals, published exactly) — and
returns what the briefing leads with: the practice themes most cited this quarter and how they
moved against the previous quarter, the COVID-19 factors cited, the quality picture of the year so
far, and the rapid reviews (which carry the LCSPR decision) overdue in the quarter. The template
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
class LearningSection:
    year: int
    quarter: int
    period: str                  # e.g. "2020 Q3"
    previous_period: str
    reviews: str                 # rapid reviews first received in the quarter
    recorded: str                # of them, those recording their practice themes
    themes: tuple[ThemeRow, ...]  # most cited first (suppressed ones last)
    covid_factors: tuple[FactorRow, ...]
    quality: tuple[QualityRow, ...]  # the year to date
    ethnicity_recorded_pct: float | None
    overdue_reviews: int         # rapid reviews due in the quarter, received late or not at all

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
                  "WHERE (figure IN ('practice_themes', 'covid_factors') AND grouping = 'quarter' "
                  "       AND ((year = {y:UInt16} AND group_value = {q:String}) "
                  "            OR (year = {py:UInt16} AND group_value = {pq:String}))) "
                  "   OR (figure IN ('rapid_review_quality', 'review_recording') AND year = {y:UInt16})",
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
                               _change(value, then["value"] if then else None), now["pct"] if now else None))
    themes.sort(key=lambda t: (t.this_quarter == SUPPRESSED, -int(t.this_quarter) if t.this_quarter != SUPPRESSED else 0))
    factors = []
    for factor, label in FACTOR_LABELS.items():
        c = cell("covid_factors", year, this, factor)
        factors.append(FactorRow(factor, label, c["value"] if c else "0", c["pct"] if c else None))
    quality = []
    for dim, label in DIMENSION_LABELS.items():
        pcts = {r: (c["pct"] if (c := cell("rapid_review_quality", year, dim, r)) else None)
                for r in ("strong", "adequate", "weak")}
        quality.append(QualityRow(dim, label, pcts["strong"], pcts["adequate"], pcts["weak"]))
    ethnicity = cell("review_recording", year, "ethnicity_recorded", "yes")
    reviews = cell("practice_themes", year, this, "reviews")
    recorded = cell("practice_themes", year, this, "recorded")
    overdue = _rows(client, f"SELECT rapid_reviews_overdue FROM {database}.{QUARTERLY} "
                    "WHERE year = {y:UInt16} AND quarter = {q:UInt8}", y=year, q=quarter)
    return LearningSection(
        year=year, quarter=quarter, period=f"{year} Q{quarter}", previous_period=f"{prev_year} Q{prev_quarter}",
        reviews=reviews["value"] if reviews else "0", recorded=recorded["value"] if recorded else "0",
        themes=tuple(themes), covid_factors=tuple(factors), quality=tuple(quality),
        ethnicity_recorded_pct=ethnicity["pct"] if ethnicity else None,
        overdue_reviews=int(overdue[0]["rapid_reviews_overdue"]) if overdue else 0,
    )
