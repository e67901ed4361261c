"""Every reason code an event can be rejected with, and what each means.

``parse_event`` raises the stateless ones (``EventValidationError.reason``); the stream adds
the ones that need a case's history. Dead letters carry exactly these codes.
"""

from __future__ import annotations

# Raised by schemas.parse_event, in the order they are checked.
MESSAGE_TOO_LARGE = "message_too_large"
NOT_UTF8 = "not_utf8"
NESTING_TOO_DEEP = "nesting_too_deep"
INVALID_JSON = "invalid_json"
NOT_AN_OBJECT = "not_an_object"
UNKNOWN_TYPE = "unknown_type"
SOURCE_NOT_AUTHORISED = "source_not_authorised"
SCHEMA_VIOLATION = "schema_violation"

# Raised by the stream, which knows each case's history.
CASE_EXISTS = "case_exists"
UNKNOWN_CASE = "unknown_case"
CASE_RULE_VIOLATION = "case_rule_violation"

REASONS: dict[str, str] = {
    MESSAGE_TOO_LARGE: "the message is larger than 256 KiB",
    NOT_UTF8: "the message is not UTF-8 text",
    NESTING_TOO_DEEP: "the JSON nests more than 32 levels (no valid event nests more than 5)",
    INVALID_JSON: "the message is not one JSON value",
    NOT_AN_OBJECT: "the JSON is not an object",
    UNKNOWN_TYPE: "type is missing or not one of the event types of contract v1 and v2",
    SOURCE_NOT_AUTHORISED: "the source may not send this event: a Panel type not from urn:cspr:panel, "
    "urn:cspr:panel sending an LA type, a notification whose local_authority is not the LA of "
    "source (parse_event), or an event for another LA's case (stream)",
    SCHEMA_VIOLATION: "a field or attribute breaks the contract (each problem names its path)",
    CASE_EXISTS: "a second incident.notified for a case that already has one",
    UNKNOWN_CASE: "no notification for the case arrived within 7 days of event time",
    CASE_RULE_VIOLATION: "the event would break a rule over the case's history",
}
STATELESS_REASONS: tuple[str, ...] = (
    MESSAGE_TOO_LARGE, NOT_UTF8, NESTING_TOO_DEEP, INVALID_JSON, NOT_AN_OBJECT, UNKNOWN_TYPE,
    SOURCE_NOT_AUTHORISED, SCHEMA_VIOLATION,
)
STREAM_REASONS: tuple[str, ...] = (SOURCE_NOT_AUTHORISED, CASE_EXISTS, UNKNOWN_CASE, CASE_RULE_VIOLATION)
