"""Coded learning fields of contract v2: what a review found, never what it said.

The Panel's annual report 2020 names the vocabularies: the six key practice themes (para 2 and
section 5), the four COVID-19 factors (paras 8-9), the reasons for not undertaking an LCSPR
(para 68), the direction of the Panel's challenge (para 67), the dimensions on which it reads a
rapid review's quality (paras 65-66) and the four Working Together 2018 requirements of a
safeguarding partnership's yearly report (para 56). Every field is a closed list, a boolean or
null ("not recorded"): no free text, nothing that identifies a child or a practitioner.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, get_args

from pydantic import Field

from schemas.envelope import EventData
from schemas.errors import Problem
from schemas.types import Strict

PracticeTheme = Literal[
    "child_daily_life",                 # 1. understanding what the child's daily life is like
    "reluctant_family_engagement",      # 2. families whose engagement is reluctant and sporadic
    "critical_thinking_and_challenge",  # 3. critical thinking and challenge
    "changing_risk_and_need",           # 4. responding to changing risk and need
    "information_sharing",              # 5. sharing information in a timely and appropriate way
    "leadership_and_culture",           # 6. organisational leadership and culture
]
CovidFactor = Literal[
    "parental_family_stressors",        # parental and family stressors
    "child_vulnerabilities",            # exacerbated vulnerabilities for children and young people
    "school_closures",                  # identification of, contact with and support for children
    "covid_safe_practice",              # impact of adaptations for COVID-safe practice
]
NoLcsprReason = Literal[
    "learning_known_from_local_reviews",  # several local reviews on the same issue already (para 68)
    "covered_by_national_review",         # a Panel national review or DfE triennial analysis covers it
    "no_new_learning_expected",           # no new learning is expected for another reason
    "other",
]
DisagreementDirection = Literal["lcspr_needed", "lcspr_not_needed"]
QualityRating = Literal["strong", "adequate", "weak"]
Evidence = Literal["fully", "partly", "not"]

PRACTICE_THEMES: tuple[str, ...] = get_args(PracticeTheme)
COVID_FACTORS: tuple[str, ...] = get_args(CovidFactor)
NO_LCSPR_REASONS: tuple[str, ...] = get_args(NoLcsprReason)
DISAGREEMENT_DIRECTIONS: tuple[str, ...] = get_args(DisagreementDirection)
QUALITY_RATINGS: tuple[str, ...] = get_args(QualityRating)
EVIDENCE_LEVELS: tuple[str, ...] = get_args(Evidence)


def _unique_items(schema: dict[str, Any]) -> None:
    schema["uniqueItems"] = True


Themes = Annotated[list[PracticeTheme], Field(json_schema_extra=_unique_items)]
Factors = Annotated[list[CovidFactor], Field(json_schema_extra=_unique_items)]


class RapidReviewQuality(Strict):
    """The Panel's reading of a rapid review, one rating per dimension (paras 65-66)."""

    analysis_and_reflection: QualityRating
    senior_leadership_input: QualityRating
    decision_rationale: QualityRating
    family_detail: QualityRating


QUALITY_DIMENSIONS: tuple[str, ...] = tuple(RapidReviewQuality.model_fields)


class Wt2018Evidence(Strict):
    """How far a yearly report evidences each Working Together 2018 requirement (para 56)."""

    impact_on_outcomes: Evidence
    limited_progress_analysis: Evidence
    review_recommendations_decisions: Evidence
    child_and_family_feedback: Evidence


WT2018_REQUIREMENTS: tuple[str, ...] = tuple(Wt2018Evidence.model_fields)

# What a v1 review or report says about its learning once upcast: nothing was recorded.
LEARNING_NOT_RECORDED: dict[str, Any] = {
    "practice_themes": None, "covid_factors": None,
    "ethnicity_recorded": None, "family_detail_recorded": None,
}
NO_LCSPR_NOT_RECORDED: dict[str, Any] = {"no_lcspr_reason": None, "alternative_review_proposed": None}


class LearningData(EventData):
    """Base of a v2 review's data: the learning fields, with their rules (no repeats)."""

    practice_themes: Themes | None
    covid_factors: Factors | None
    ethnicity_recorded: bool | None
    family_detail_recorded: bool | None

    def contract_problems(self, recorded_on: dt.date, prefix: str = "data.") -> list[Problem]:
        problems = super().contract_problems(recorded_on, prefix)
        for name in ("practice_themes", "covid_factors"):
            values = getattr(self, name)
            if values and len(set(values)) != len(values):
                problems.append(Problem(f"{prefix}{name}", "must not repeat a value, got " + ", ".join(values)))
        return problems


def no_lcspr_problems(decision: str, reason: str | None, alternative: bool | None,
                      prefix: str = "data.") -> list[Problem]:
    """The reason and the alternative method belong to a "no LCSPR" decision only."""
    if decision == "no_lcspr":
        return []
    problems = []
    if reason is not None:
        problems.append(Problem(f"{prefix}no_lcspr_reason",
                                f"must be null unless decision is 'no_lcspr', got {reason!r}"))
    if alternative is not None:
        problems.append(Problem(f"{prefix}alternative_review_proposed",
                                f"must be null unless decision is 'no_lcspr', got {str(alternative).lower()}"))
    return problems


def no_lcspr_conditions(schema: dict[str, Any]) -> None:
    """JSON Schema for ``no_lcspr_problems``: without a 'no_lcspr' decision both must be null."""
    schema["allOf"] = [{
        "if": {"properties": {"decision": {"not": {"const": "no_lcspr"}}}, "required": ["decision"]},
        "then": {"properties": {"no_lcspr_reason": {"type": "null"},
                                "alternative_review_proposed": {"type": "null"}}},
    }]

