"""The event contract (v1, and v2 beside it) as code: pydantic models, one parse entry point,
upcasting of v1 to v2 on read, JSON Schema export.

Every other part of the platform imports its event types from here, and from nowhere else.
"""

from schemas.envelope import Envelope, EventData
from schemas.errors import CsprError, EventValidationError, Problem
from schemas.incidents import IncidentCorrected, IncidentNotified, IncidentWithdrawn, incident_problems
from schemas.lcsprs import LcsprInitiated, LcsprPublicationNotified, LcsprPublished, LcsprReportReceived
from schemas.panel import PanelFeedbackIssued
from schemas.parsing import (
    ALL_EVENT_TYPES,
    EVENT_CLASSES,
    EVENT_TYPES,
    MAX_MESSAGE_BYTES,
    V2_EVENT_TYPES,
    Event,
    parse_event,
)
from schemas.rapid_reviews import RapidReviewDecisionMade, RapidReviewSubmitted
from schemas.upcasting import read_event, upcast

__all__ = [
    "EVENT_CLASSES", "EVENT_TYPES", "MAX_MESSAGE_BYTES", "CsprError", "Envelope", "Event",
    "EventData", "EventValidationError", "IncidentCorrected", "IncidentNotified",
    "IncidentWithdrawn", "LcsprInitiated", "LcsprPublicationNotified", "LcsprPublished",
    "LcsprReportReceived", "PanelFeedbackIssued", "Problem", "RapidReviewDecisionMade",
    "RapidReviewSubmitted", "incident_problems", "parse_event",
]
__all__ += ["ALL_EVENT_TYPES", "V2_EVENT_TYPES", "read_event", "upcast"]  # contract v2
