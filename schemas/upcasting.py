"""Upcasting: every event read in its latest version (the ``eventsourcing`` library's pattern).

A v1 event stays valid forever and is stored as it was written; a reader that wants the v2
shape upcasts it on read with the plain function that upcasts v1 ``data`` to v2, beside each v2
class (``upcast_submitted_v1_v2`` ...). What v1 did not record comes back as null, "not
recorded": a v1 rapid review has unrecorded themes, not an error.

The seam: ``parse_event`` returns an event as written, because the stream's case fold, the sink
(whose raw store keeps ``type`` as written, and dbt's staging selects by it) and the oracle's
v1 figures read v1 models. Readers of the learning figures call ``read_event`` or ``upcast``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from schemas.envelope import Envelope
from schemas.lcsprs import LcsprReportReceived, LcsprReportReceivedV2, upcast_report_received_v1_v2
from schemas.panel import PanelFeedbackIssued, PanelFeedbackIssuedV2, upcast_feedback_v1_v2
from schemas.parsing import parse_event, type_of
from schemas.rapid_reviews import (
    RapidReviewDecisionMade,
    RapidReviewDecisionMadeV2,
    RapidReviewSubmitted,
    RapidReviewSubmittedV2,
    upcast_decision_made_v1_v2,
    upcast_submitted_v1_v2,
)

DataUpcast = Callable[[dict[str, Any]], dict[str, Any]]

# v1 class -> (v2 class, the function that upcasts its data). A type absent here is unchanged in v2.
UPCASTS: dict[type[Envelope], tuple[type[Envelope], DataUpcast]] = {
    RapidReviewSubmitted: (RapidReviewSubmittedV2, upcast_submitted_v1_v2),
    RapidReviewDecisionMade: (RapidReviewDecisionMadeV2, upcast_decision_made_v1_v2),
    PanelFeedbackIssued: (PanelFeedbackIssuedV2, upcast_feedback_v1_v2),
    LcsprReportReceived: (LcsprReportReceivedV2, upcast_report_received_v1_v2),
}
LATEST_TYPES: dict[str, str] = {type_of(old): type_of(new) for old, (new, _) in UPCASTS.items()}


def upcast(event: Any) -> Any:
    """The event in its latest version: a v1 event with a v2 is rebuilt as v2, anything else is
    returned as it is. Same id, source, subject and time; ``dataschema`` (which named the v1
    schema) is dropped."""
    step = UPCASTS.get(type(event))
    if step is None:
        return event
    new_class, upcast_data = step
    fields = {name: value for name, value in event.model_dump().items()
              if value is not None and name != "dataschema"}
    fields["type"] = LATEST_TYPES[event.type]
    fields["data"] = upcast_data(fields["data"])
    return new_class.model_validate(fields)


def read_event(raw: bytes | bytearray | memoryview | str | dict[str, Any]) -> Any:
    """``parse_event``, then ``upcast``: any valid v1 or v2 event, in its latest version."""
    return upcast(parse_event(raw))
