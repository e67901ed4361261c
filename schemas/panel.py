"""The Panel's own events: its feedback on a rapid review."""

from __future__ import annotations

from typing import ClassVar, Literal

from schemas.envelope import Envelope, EventData
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
