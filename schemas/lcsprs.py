"""The local child safeguarding practice review (LCSPR) aggregate, from initiation to publication."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, Literal, get_args

from schemas.calendar import working_days
from schemas.envelope import Envelope, EventData
from schemas.errors import Problem
from schemas.learning import LEARNING_NOT_RECORDED, LearningData
from schemas.types import ContractDate, LaSource

PublicationIntent = Literal["published", "intend_to_publish", "not_publishing"]
PUBLICATION_INTENTS: tuple[str, ...] = get_args(PublicationIntent)
MIN_PUBLICATION_NOTICE_WORKING_DAYS = 7


class LcsprInitiatedData(EventData):
    knowledge_dates: ClassVar[tuple[str, ...]] = ("initiated_date",)

    initiated_date: ContractDate


class LcsprPublicationNotifiedData(EventData):
    # planned_publication_date is in the future by nature, so it is not a knowledge date.
    knowledge_dates: ClassVar[tuple[str, ...]] = ("notified_date",)

    notified_date: ContractDate
    planned_publication_date: ContractDate

    def contract_problems(self, recorded_on: dt.date, prefix: str = "data.") -> list[Problem]:
        problems = super().contract_problems(recorded_on, prefix)
        notice = working_days(self.notified_date, self.planned_publication_date)
        if notice < MIN_PUBLICATION_NOTICE_WORKING_DAYS:
            problems.append(Problem(
                f"{prefix}planned_publication_date",
                f"must be at least {MIN_PUBLICATION_NOTICE_WORKING_DAYS} working days after "
                f"notified_date ({self.notified_date}), got {self.planned_publication_date} "
                f"({notice} working days)"))
        return problems


class LcsprReportReceivedData(EventData):
    knowledge_dates: ClassVar[tuple[str, ...]] = ("received_date",)

    received_date: ContractDate
    publication_intent: PublicationIntent


class LcsprPublishedData(EventData):
    knowledge_dates: ClassVar[tuple[str, ...]] = ("published_date",)

    published_date: ContractDate


class LcsprInitiated(Envelope):
    """The case's safeguarding partners began a local child safeguarding practice review."""

    source: LaSource
    type: Literal["uk.gov.cspr.lcspr.initiated.v1"]
    data: LcsprInitiatedData


class LcsprPublicationNotified(Envelope):
    """The Panel was told when the LCSPR report will be published."""

    source: LaSource
    type: Literal["uk.gov.cspr.lcspr.publication_notified.v1"]
    data: LcsprPublicationNotifiedData


class LcsprReportReceived(Envelope):
    """The Panel received the LCSPR report, with whether it will be published."""

    source: LaSource
    type: Literal["uk.gov.cspr.lcspr.report_received.v1"]
    data: LcsprReportReceivedData


class LcsprPublished(Envelope):
    """The LCSPR report was published."""

    source: LaSource
    type: Literal["uk.gov.cspr.lcspr.published.v1"]
    data: LcsprPublishedData


# --- v2 (contract v2): what the LCSPR report found ------------------------------------------


class LcsprReportReceivedDataV2(LearningData):
    """v1's fields and the report's learning, coded as on a v2 rapid review."""

    knowledge_dates: ClassVar[tuple[str, ...]] = ("received_date",)

    received_date: ContractDate
    publication_intent: PublicationIntent


class LcsprReportReceivedV2(Envelope):
    """The Panel received the LCSPR report, with whether it will be published, the practice
    themes and COVID-19 factors it evidences and whether it records ethnicity and family detail."""

    source: LaSource
    type: Literal["uk.gov.cspr.lcspr.report_received.v2"]
    data: LcsprReportReceivedDataV2


def upcast_report_received_v1_v2(data: dict[str, Any]) -> dict[str, Any]:
    """A v1 report recorded no learning: all "not recorded" (null)."""
    return {**data, **LEARNING_NOT_RECORDED}
