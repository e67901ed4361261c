"""The safeguarding partnership aggregate (contract v2): a partnership and its yearly reports.

A partnership is the three safeguarding partners of one or more local authorities (121
partnerships covered England's 151 authorities in 2020). Working Together 2018 requires each to
publish a yearly report; the Panel receives it and reads it against the four requirements of
para 56 of its annual report 2020. The Panel keeps this register, so only the Panel sends these
events; ``subject`` is the partnership's reference (e.g. ``SCP-0042``), not a case.

New types begin at v1: a type's suffix is the version of that type (as the ``eventsourcing``
library versions each class), and contract v2 is the set of types it lists.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from schemas.envelope import Envelope, EventData
from schemas.errors import Problem
from schemas.learning import Wt2018Evidence
from schemas.types import ContractDate, LaCode, PanelSource


def _unique_items(schema: dict[str, Any]) -> None:
    schema["uniqueItems"] = True


Authorities = Annotated[list[LaCode], Field(min_length=1, max_length=151, json_schema_extra=_unique_items)]


class PartnershipRegisteredData(EventData):
    """The local authorities the partnership covers, from a date."""

    knowledge_dates: ClassVar[tuple[str, ...]] = ("registered_date",)

    registered_date: ContractDate
    local_authorities: Authorities

    def contract_problems(self, recorded_on: dt.date, prefix: str = "data.") -> list[Problem]:
        problems = super().contract_problems(recorded_on, prefix)
        seen: set[str] = set()
        for i, code in enumerate(self.local_authorities):
            if code in seen:
                problems.append(Problem(f"{prefix}local_authorities[{i}]", f"repeats another authority: {code!r}"))
            seen.add(code)
        return problems


class PartnershipYearlyReportReceivedData(EventData):
    """A yearly report received, the end of the twelve months it covers, and the Panel's reading
    of it against Working Together 2018 (null: not yet read)."""

    knowledge_dates: ClassVar[tuple[str, ...]] = ("received_date", "period_end")

    received_date: ContractDate
    period_end: ContractDate
    wt2018_evidence: Wt2018Evidence | None

    def contract_problems(self, recorded_on: dt.date, prefix: str = "data.") -> list[Problem]:
        problems = super().contract_problems(recorded_on, prefix)
        if self.period_end > self.received_date:
            problems.append(Problem(f"{prefix}period_end", f"must be on or before received_date "
                                    f"({self.received_date}): a yearly report covers a past period, "
                                    f"got {self.period_end}"))
        return problems


class PartnershipRegistered(Envelope):
    """A safeguarding partnership registered with the Panel, with the local authorities it
    covers; a later registration of the same partnership replaces the list."""

    source: PanelSource
    type: Literal["uk.gov.cspr.partnership.registered.v1"]
    data: PartnershipRegisteredData


class PartnershipYearlyReportReceived(Envelope):
    """The Panel received a partnership's yearly report, and (when read) how far it evidences each
    of the four Working Together 2018 requirements."""

    source: PanelSource
    type: Literal["uk.gov.cspr.partnership.yearly_report_received.v1"]
    data: PartnershipYearlyReportReceivedData


PARTNERSHIP_EVENTS: tuple[type[Envelope], ...] = (PartnershipRegistered, PartnershipYearlyReportReceived)
PARTNERSHIP_KEY_PREFIX = "partnership/"


def is_partnership_event(event: Any) -> bool:
    """Whether a parsed event belongs to a partnership's stream, not to a case.

    The routing decision of every loop that folds events (the stream's case projection, the
    reference calculator's history rules): a partnership event has no notification to wait
    for and no case rule to meet, so it is accepted as it is (once: duplicates are still
    duplicates), never held for a case or dead-lettered ``unknown_case``.
    """
    return isinstance(event, PARTNERSHIP_EVENTS)


def state_key(event: Any) -> str:
    """The key of the state an event folds into: its subject for a case, ``partnership/<subject>``
    for a partnership ('/' is never in a subject, so a partnership and a case that share a
    reference never share a state)."""
    return PARTNERSHIP_KEY_PREFIX + event.subject if is_partnership_event(event) else str(event.subject)
