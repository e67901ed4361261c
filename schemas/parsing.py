"""The one entry point from bytes, text or a dict to a typed event, or a clear error.

The fast path hands the bytes straight to pydantic (Rust JSON parsing and validation). Only
when that fails does the slow path work out *why*, in the order a partner would want to know:
too large, not UTF-8, not JSON, too deeply nested, not an object, unknown type, then every
field problem with its path.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Union, get_args

from pydantic import Field, TypeAdapter, ValidationError

from schemas import errors as reasons
from schemas.envelope import Envelope
from schemas.errors import EventValidationError, Problem
from schemas.incidents import IncidentCorrected, IncidentNotified, IncidentWithdrawn
from schemas.lcsprs import (
    LcsprInitiated,
    LcsprPublicationNotified,
    LcsprPublished,
    LcsprReportReceived,
    LcsprReportReceivedV2,
)
from schemas.local_authorities import LA_CODES, PANEL_SOURCE, la_code_of
from schemas.panel import PanelFeedbackIssued, PanelFeedbackIssuedV2
from schemas.partnerships import PartnershipRegistered, PartnershipYearlyReportReceived
from schemas.rapid_reviews import (
    RapidReviewDecisionMade,
    RapidReviewDecisionMadeV2,
    RapidReviewSubmitted,
    RapidReviewSubmittedV2,
)
from schemas.types import EARLIEST_DATE, PATTERN_DESCRIPTIONS
from schemas.types import show as _show

MAX_MESSAGE_BYTES = 256 * 1024
# A valid event nests at most five levels (data.changes.children[i].field); anything far
# deeper is rejected before it can reach a recursive parser.
MAX_NESTING = 32

EVENT_CLASSES = (
    IncidentNotified, IncidentCorrected, IncidentWithdrawn,
    RapidReviewSubmitted, RapidReviewDecisionMade, PanelFeedbackIssued,
    LcsprInitiated, LcsprPublicationNotified, LcsprReportReceived, LcsprPublished,
)
# Contract v2 adds these beside v1 (v1 types stay valid forever; schemas.upcasting reads them as v2).
V2_EVENT_CLASSES = (
    RapidReviewSubmittedV2, RapidReviewDecisionMadeV2, PanelFeedbackIssuedV2, LcsprReportReceivedV2,
    PartnershipRegistered, PartnershipYearlyReportReceived,
)
Event = Annotated[
    Union[  # noqa: UP007 - a tuple of classes cannot be spelled with |
        IncidentNotified, IncidentCorrected, IncidentWithdrawn,
        RapidReviewSubmitted, RapidReviewDecisionMade, PanelFeedbackIssued,
        LcsprInitiated, LcsprPublicationNotified, LcsprReportReceived, LcsprPublished,
        RapidReviewSubmittedV2, RapidReviewDecisionMadeV2, PanelFeedbackIssuedV2, LcsprReportReceivedV2,
        PartnershipRegistered, PartnershipYearlyReportReceived,
    ],
    Field(discriminator="type"),
]


def type_of(cls: type[Envelope]) -> str:
    """The ``type`` an event class carries, e.g. ``uk.gov.cspr.rapid_review.submitted.v2``."""
    return str(get_args(cls.model_fields["type"].annotation)[0])


# The v1 types (contract v1, unchanged); the types contract v2 adds; every type parse_event accepts.
EVENT_TYPES: dict[str, type[Envelope]] = {type_of(cls): cls for cls in EVENT_CLASSES}
V2_EVENT_TYPES: dict[str, type[Envelope]] = {type_of(cls): cls for cls in V2_EVENT_CLASSES}
ALL_EVENT_TYPES: dict[str, type[Envelope]] = {**EVENT_TYPES, **V2_EVENT_TYPES}
PANEL_TYPES = frozenset(t for t, cls in ALL_EVENT_TYPES.items()
                        if get_args(cls.model_fields["source"].annotation) == (PANEL_SOURCE,))
_ADAPTER: TypeAdapter[Any] = TypeAdapter(Event)


def parse_event(raw: bytes | bytearray | memoryview | str | dict[str, Any]) -> Any:
    """Validate one event against the contract (v1 or v2) and return it typed, as written.

    A v1 event comes back as its v1 class (the stream, the sink and the oracle fold v1 histories
    unchanged); ``schemas.read_event`` gives every event in its latest version.

    Raises ``EventValidationError`` (and never anything else) when the event breaks the contract.
    """
    if isinstance(raw, dict):
        try:
            raw = json.dumps(raw, allow_nan=False, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise EventValidationError(reasons.NOT_UTF8, [Problem("$", f"holds text that is not valid Unicode: {exc.reason}")]) from None
        except (TypeError, ValueError, RecursionError) as exc:
            raise EventValidationError(reasons.INVALID_JSON, [Problem("$", f"cannot be written as JSON: {exc}")]) from None
    elif isinstance(raw, str):
        try:
            raw = raw.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise EventValidationError(reasons.NOT_UTF8, [Problem("$", f"is not valid Unicode text: {exc.reason}")]) from None
    elif isinstance(raw, (bytearray, memoryview)):
        raw = bytes(raw)
    elif not isinstance(raw, bytes):
        raise EventValidationError(reasons.NOT_AN_OBJECT, [Problem("$", f"must be bytes, text or a dict, got {type(raw).__name__}")])
    if len(raw) > MAX_MESSAGE_BYTES:
        raise EventValidationError(reasons.MESSAGE_TOO_LARGE, [Problem(
            "$", f"is {len(raw):,} bytes; an event may be at most {MAX_MESSAGE_BYTES:,} bytes (256 KiB)")])
    try:
        return _ADAPTER.validate_json(raw)
    except ValidationError as exc:
        raise _explain(raw, exc) from None
    except RecursionError:  # pragma: no cover - pydantic's parser has its own depth limit
        raise EventValidationError(reasons.NESTING_TOO_DEEP, [Problem("$", "is nested too deeply")]) from None


def _explain(raw: bytes, exc: ValidationError) -> EventValidationError:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as bad:
        return EventValidationError(reasons.NOT_UTF8, [Problem("$", f"is not UTF-8: byte {bad.start} ({raw[bad.start:bad.start + 1]!r}) {bad.reason}")])
    depth = _nesting(text)
    if depth > MAX_NESTING:
        return EventValidationError(reasons.NESTING_TOO_DEEP, [Problem("$", f"nests more than {MAX_NESTING} levels deep")])
    try:
        doc = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as bad_json:
        return EventValidationError(reasons.INVALID_JSON, [Problem("$", f"is not JSON: {bad_json.msg} at line {bad_json.lineno} column {bad_json.colno}")])
    except (RecursionError, ValueError) as bad_value:
        return EventValidationError(reasons.INVALID_JSON, [Problem("$", f"is not JSON: {bad_value}")])
    if not isinstance(doc, dict):
        return EventValidationError(reasons.NOT_AN_OBJECT, [Problem("$", f"must be a JSON object, got {_json_kind(doc)}")])
    event_type = doc.get("type")
    if not isinstance(event_type, str) or event_type not in ALL_EVENT_TYPES:
        if "type" not in doc:
            problem = Problem("type", "is required")
        else:
            problem = Problem("type", f"is not an event type of contract v1 or v2, got {_show(event_type)}; "
                              "expected one of " + ", ".join(sorted(ALL_EVENT_TYPES)))
        return EventValidationError(reasons.UNKNOWN_TYPE, [problem])
    source = doc.get("source")
    if isinstance(source, str) and _source_is_known(source):
        if event_type in PANEL_TYPES and source != PANEL_SOURCE:
            return EventValidationError(reasons.SOURCE_NOT_AUTHORISED, [Problem("source", f"only the Panel ({PANEL_SOURCE}) may send {event_type}, got {source!r}")])
        if event_type not in PANEL_TYPES and source == PANEL_SOURCE:
            return EventValidationError(reasons.SOURCE_NOT_AUTHORISED, [Problem("source", f"the Panel may send only panel events, not {event_type}")])
    problems: list[Problem] = []
    reason = reasons.SCHEMA_VIOLATION
    for err in exc.errors(include_url=False):
        if err["type"] == "json_invalid":
            # Text Python's parser accepts but pydantic's does not (a lone UTF-16 surrogate).
            return EventValidationError(reasons.INVALID_JSON, [Problem("$", f"is not JSON: {err['ctx']['error']}")])
        if err["type"] == "contract_rules":
            problems.extend(err["ctx"]["problems"])
        else:
            problems.append(Problem(_path(err["loc"][1:]), _message(err)))
    if any(p.path == "data.local_authority" and "local authority of source" in p.message for p in problems):
        # Writing another LA's case is an authorisation failure, whatever else is wrong.
        reason = reasons.SOURCE_NOT_AUTHORISED
    return EventValidationError(reason, problems)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _source_is_known(source: str) -> bool:
    code = la_code_of(source)
    return source == PANEL_SOURCE or (code is not None and code in LA_CODES)


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(r"[\[\]{}]")


def _nesting(text: str) -> int:
    """Deepest bracket nesting outside strings, without a recursive parser (an upper bound
    when the text cannot nest deeper than MAX_NESTING anyway)."""
    opening = text.count("[") + text.count("{")
    if opening <= MAX_NESTING:
        return opening
    depth = deepest = 0
    # Strings removed first (brackets inside them do not nest), then only brackets are visited.
    for match in _BRACKET.finditer(_JSON_STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_NESTING:
                    return deepest
        else:
            depth -= 1
    return deepest


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "$"


def _got(value: Any) -> str:
    """``null``, ``true``, ``a string '3'``, ``the number 3.0``, ``an array``, ``an object``."""
    if value is None or isinstance(value, (bool, dict, list)):
        return _show(value)
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    return f"{_json_kind(value)} {_show(value)}"


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


_TYPE_WORDS = {
    "string_type": "a string", "int_type": "an integer (written without a fraction)",
    "bool_type": "true or false", "list_type": "an array", "dict_type": "an object",
    "model_type": "an object", "model_attributes_type": "an object", "float_type": "a number",
}


def _message(err: Any) -> str:
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    field = str(err["loc"][-1]) if err["loc"] else ""
    if kind == "missing":
        return "is required (a field that may be empty must be sent as null)"
    if kind == "extra_forbidden":
        if err["loc"][-2:] == ("changes", "local_authority"):
            return "cannot be corrected: a case's local authority is fixed (withdraw the case and notify again)"
        if len(err["loc"]) == 2:  # (event type, attribute): the envelope
            return ("is not a CloudEvents attribute of contract v1 (allowed: specversion, id, source, type, "
                    "subject, time, datacontenttype, dataschema, data)")
        return "is not a field of this event; unknown fields are rejected (no names, dates of birth, free text or other identifiers)"
    if kind in _TYPE_WORDS:
        return f"must be {_TYPE_WORDS[kind]}, got {_got(value)}"
    if kind == "literal_error":
        expected = str(ctx.get("expected", ""))
        if field == "local_authority":
            return f"must be the ONS code of one of England's 151 local authorities (2020), e.g. E06000001, got {_show(value)}"
        if field == "source" and len(err["loc"]) == 2:
            if PANEL_SOURCE in expected:
                return f"must be {PANEL_SOURCE!r}: only the Panel sends this type, got {_show(value)}"
            return ("must be urn:cspr:la:<LA code> with the ONS code of one of England's 151 local authorities "
                    f"(2020), e.g. urn:cspr:la:E06000001, got {_show(value)}")
        return f"must be one of {expected}, got {_show(value)}"
    if kind == "string_pattern_mismatch":
        return f"{PATTERN_DESCRIPTIONS.get(str(ctx.get('pattern')), 'has the wrong form')}, got {_show(value)}"
    if kind in ("date_type", "date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact"):
        detail = f" ({ctx['error']})" if ctx.get("error") and type(value) is str else ""
        return f"must be a calendar date written YYYY-MM-DD{detail}, got {_show(value)}"
    if kind == "greater_than_equal":
        if str(ctx.get("ge")) == EARLIEST_DATE.isoformat():
            return f"must be on or after {ctx['ge']}, got {_show(value)}"
        return f"must be at least {ctx['ge']}, got {_show(value)}"
    if kind == "less_than_equal":
        return f"must be at most {ctx['le']}, got {_show(value)}"
    if kind == "too_short":
        return f"must have at least {ctx['min_length']} item(s), got {ctx.get('actual_length')}"
    if kind == "too_long":
        return f"must have at most {ctx['max_length']} item(s), got {ctx.get('actual_length')}"
    if kind == "string_too_long":
        return f"must be at most {ctx['max_length']} characters"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        return "is not an event type of contract v1 or v2"
    return str(err.get("msg", kind))
