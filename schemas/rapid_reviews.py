"""The rapid review aggregate: a review submitted to the Panel, and its LCSPR decision."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, Literal, get_args

from pydantic import ConfigDict

from schemas.envelope import Envelope, EventData
from schemas.errors import Problem
from schemas.learning import (
    LEARNING_NOT_RECORDED,
    NO_LCSPR_NOT_RECORDED,
    LearningData,
    NoLcsprReason,
    no_lcspr_conditions,
    no_lcspr_problems,
)
from schemas.types import ContractDate, LaSource

SubmittedDecision = Literal["lcspr", "no_lcspr", "undecided"]
Decision = Literal["lcspr", "no_lcspr"]
DECISIONS: tuple[str, ...] = get_args(SubmittedDecision)


class RapidReviewSubmittedData(EventData):
    knowledge_dates: ClassVar[tuple[str, ...]] = ("received_date",)

    received_date: ContractDate
    decision: SubmittedDecision


class RapidReviewDecisionMadeData(EventData):
    knowledge_dates: ClassVar[tuple[str, ...]] = ("decision_date",)

    decision: Decision
    decision_date: ContractDate


class RapidReviewSubmitted(Envelope):
    """The Panel received the case's rapid review (only the first one counts for timeliness)."""

    source: LaSource
    type: Literal["uk.gov.cspr.rapid_review.submitted.v1"]
    data: RapidReviewSubmittedData


class RapidReviewDecisionMade(Envelope):
    """A decision on an LCSPR reached after an undecided review, or a changed decision."""

    source: LaSource
    type: Literal["uk.gov.cspr.rapid_review.decision_made.v1"]
    data: RapidReviewDecisionMadeData


# --- v2 (contract v2): what the review found, and why there is no LCSPR ---------------------


class RapidReviewSubmittedDataV2(LearningData):
    """v1's fields, the review's learning (coded) and, for "no LCSPR", the reason."""

    model_config = ConfigDict(json_schema_extra=no_lcspr_conditions)
    knowledge_dates: ClassVar[tuple[str, ...]] = ("received_date",)

    received_date: ContractDate
    decision: SubmittedDecision
    no_lcspr_reason: NoLcsprReason | None
    alternative_review_proposed: bool | None

    def contract_problems(self, recorded_on: dt.date, prefix: str = "data.") -> list[Problem]:
        problems = super().contract_problems(recorded_on, prefix)
        return problems + no_lcspr_problems(self.decision, self.no_lcspr_reason,
                                            self.alternative_review_proposed, prefix)


class RapidReviewDecisionMadeDataV2(EventData):
    model_config = ConfigDict(json_schema_extra=no_lcspr_conditions)
    knowledge_dates: ClassVar[tuple[str, ...]] = ("decision_date",)

    decision: Decision
    decision_date: ContractDate
    no_lcspr_reason: NoLcsprReason | None
    alternative_review_proposed: bool | None

    def contract_problems(self, recorded_on: dt.date, prefix: str = "data.") -> list[Problem]:
        problems = super().contract_problems(recorded_on, prefix)
        return problems + no_lcspr_problems(self.decision, self.no_lcspr_reason,
                                            self.alternative_review_proposed, prefix)


class RapidReviewSubmittedV2(Envelope):
    """The Panel received the case's rapid review, with the practice themes and COVID-19 factors
    it evidences, whether it records the child's ethnicity and family detail and, for a decision
    not to undertake an LCSPR, why (only the first review counts for timeliness)."""

    source: LaSource
    type: Literal["uk.gov.cspr.rapid_review.submitted.v2"]
    data: RapidReviewSubmittedDataV2


class RapidReviewDecisionMadeV2(Envelope):
    """A decision on an LCSPR reached after an undecided review, or a changed decision; for a
    decision not to undertake one, the reason and whether another review method was proposed."""

    source: LaSource
    type: Literal["uk.gov.cspr.rapid_review.decision_made.v2"]
    data: RapidReviewDecisionMadeDataV2


def upcast_submitted_v1_v2(data: dict[str, Any]) -> dict[str, Any]:
    """A v1 review recorded no learning and no reason: all "not recorded" (null)."""
    return {**data, **NO_LCSPR_NOT_RECORDED, **LEARNING_NOT_RECORDED}


def upcast_decision_made_v1_v2(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, **NO_LCSPR_NOT_RECORDED}
