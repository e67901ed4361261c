"""The Panel's own events: its feedback on a rapid review."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, Literal

from pydantic import ConfigDict

from schemas.envelope import Envelope, EventData
from schemas.errors import Problem
from schemas.learning import DisagreementDirection, RapidReviewQuality
from schemas.types import ContractDate, PanelSource


class PanelFeedbackIssuedData(EventData):
    knowledge_dates: ClassVar[tuple[str, ...]] = ("feedback_date",)

    feedback_date: ContractDate
    agrees_with_decision: bool


class PanelFeedbackIssued(Envelope):
    """The Panel responded to a rapid review, agreeing with its decision or not."""

    source: PanelSource
    type: Literal["uk.gov.cspr.panel.feedback_issued.v1"]
    data: PanelFeedbackIssuedData


# --- v2 (contract v2): which way the Panel disagrees, and its reading of the review's quality --


def _disagreement_condition(schema: dict[str, Any]) -> None:
    # JSON Schema for the rule below: agreeing feedback has no direction of disagreement.
    schema["allOf"] = [{
        "if": {"properties": {"agrees_with_decision": {"const": True}}, "required": ["agrees_with_decision"]},
        "then": {"properties": {"disagreement": {"type": "null"}}},
    }]


class PanelFeedbackIssuedDataV2(EventData):
    """v1's fields; when the Panel disagrees, which way (null: not recorded); its quality reading
    of the rapid review (null: not assessed)."""

    model_config = ConfigDict(json_schema_extra=_disagreement_condition)
    knowledge_dates: ClassVar[tuple[str, ...]] = ("feedback_date",)

    feedback_date: ContractDate
    agrees_with_decision: bool
    disagreement: DisagreementDirection | None
    quality: RapidReviewQuality | None

    def contract_problems(self, recorded_on: dt.date, prefix: str = "data.") -> list[Problem]:
        problems = super().contract_problems(recorded_on, prefix)
        if self.agrees_with_decision and self.disagreement is not None:
            problems.append(Problem(f"{prefix}disagreement", "must be null when agrees_with_decision is "
                                    f"true, got {self.disagreement!r}"))
        return problems


class PanelFeedbackIssuedV2(Envelope):
    """The Panel responded to a rapid review: agreeing with its decision or not, and if not which
    way (it thinks an LCSPR is needed, or not), with its rating of the review's quality."""

    source: PanelSource
    type: Literal["uk.gov.cspr.panel.feedback_issued.v2"]
    data: PanelFeedbackIssuedDataV2


def upcast_feedback_v1_v2(data: dict[str, Any]) -> dict[str, Any]:
    """v1 feedback recorded neither the direction of a disagreement nor a quality reading."""
    return {**data, "disagreement": None, "quality": None}
