"""The rapid review aggregate: a review submitted to the Panel, and its LCSPR decision."""

from __future__ import annotations

from typing import ClassVar, Literal, get_args

from schemas.envelope import Envelope, EventData
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
