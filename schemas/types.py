"""Field types shared by every event: dates, timestamps, ids, references and LA codes.

Dates use pydantic's own strict date parser (Rust): in strict mode from JSON it accepts exactly
``YYYY-MM-DD`` calendar dates, which is the contract, and costs far less than a Python
validator. Timestamps need a hand-written validator because pydantic's datetime parser is more
lenient than RFC 3339 (it takes a space for ``T``, ``+0100``, minutes without seconds).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from schemas.local_authorities import LA_CODES, LA_SOURCE_PREFIX, PANEL_SOURCE

EARLIEST_DATE = dt.date(2018, 1, 1)

# Years 2018-9999, so that JSON Schema alone can reject dates before 2018-01-01; the format
# check ("date") rejects days that do not exist.
_YEAR = r"(201[89]|20[2-9][0-9]|2[1-9][0-9]{2}|[3-9][0-9]{3})"
DATE_PATTERN = rf"^{_YEAR}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
# RFC 3339 date-time with Z or an hh:mm offset; no leap second (":60"), which Python cannot
# represent. The calendar date written in it is on or after 2018-01-01, like every date.
TIME_PATTERN = (
    rf"^{_YEAR}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
_TIME_RE = re.compile(TIME_PATTERN)
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
SUBJECT_PATTERN = r"^[A-Z0-9][A-Z0-9-]{3,40}$"
CHILD_REF_PATTERN = r"^[A-Za-z0-9_-]{6,64}$"
URI_PATTERN = r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$"
URI_MAX_LENGTH = 2048

# What a partner's developer reads when a pattern does not match (see schemas.parsing).
PATTERN_DESCRIPTIONS = {
    UUID_PATTERN: "must be a UUID in canonical 8-4-4-4-12 hexadecimal form",
    SUBJECT_PATTERN: "must be the Panel's case reference: A-Z, 0-9 and '-', 4 to 41 characters, "
    "not starting with '-' (e.g. SIN-2020-000123)",
    CHILD_REF_PATTERN: "must be a pseudonymous reference of 6 to 64 characters A-Z, a-z, 0-9, '_' "
    "or '-' (derive it with the producer SDK's child_ref helper)",
    URI_PATTERN: "must be an absolute URI without spaces",
}

_TIME_SHAPE_MESSAGE = (
    "must be an RFC 3339 timestamp with Z or a +hh:mm offset, on or after 2018-01-01 "
    "(e.g. 2020-05-01T09:30:00Z), got {got}"
)


def _time(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):  # a model built in Python (producers), not from JSON
        if value.tzinfo is None or value.utcoffset() is None:
            raise PydanticCustomError("contract_time", "must carry a UTC offset", {})
        parsed = value
    elif type(value) is not str or not _TIME_RE.match(value):
        raise PydanticCustomError("contract_time", _TIME_SHAPE_MESSAGE, {"got": show(value)})
    else:
        try:
            parsed = dt.datetime.fromisoformat(value.upper())
        except ValueError:
            raise PydanticCustomError(
                "contract_time", "is not a valid timestamp (no such day), got {got}", {"got": show(value)}
            ) from None
    if parsed.date() < EARLIEST_DATE:
        raise PydanticCustomError("contract_time", _TIME_SHAPE_MESSAGE, {"got": show(value)})
    if parsed.year == dt.MAXYEAR and parsed.utcoffset() != dt.timedelta(0):
        # The one case that cannot be converted to UTC (it would overflow past year 9999).
        try:
            parsed.astimezone(dt.UTC)
        except OverflowError:
            raise PydanticCustomError(
                "contract_time", "cannot be expressed in UTC, got {got}", {"got": show(value)}
            ) from None
    return parsed


def show(value: Any) -> str:
    """A short, safe rendering of an offending value for an error message."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        text = "null"
    elif isinstance(value, (dict, list)):
        text = "an object" if isinstance(value, dict) else "an array"
    else:
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_show = show  # the name other modules of this package used first

ContractDate = Annotated[
    dt.date,
    Field(ge=EARLIEST_DATE),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DATE_PATTERN}),
]
def _time_text(value: dt.datetime) -> str:
    return value.isoformat()


EventTime = Annotated[
    dt.datetime,
    PlainValidator(_time),
    # RFC 3339 with the event's own offset, e.g. 2020-04-30T14:05:00+01:00.
    PlainSerializer(_time_text, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": TIME_PATTERN}),
]
EventId = Annotated[str, Field(pattern=UUID_PATTERN)]
Subject = Annotated[str, Field(pattern=SUBJECT_PATTERN)]
ChildRef = Annotated[str, Field(pattern=CHILD_REF_PATTERN)]
Uri = Annotated[str, Field(pattern=URI_PATTERN, max_length=URI_MAX_LENGTH)]

_LA_CODES_SORTED = tuple(sorted(LA_CODES))
LA_SOURCES: tuple[str, ...] = tuple(LA_SOURCE_PREFIX + c for c in _LA_CODES_SORTED)
if TYPE_CHECKING:
    # Built from the reference list at run time; to a type checker they are strings.
    LaCode = str
    LaSource = str
else:
    LaCode = Literal[_LA_CODES_SORTED]
    LaSource = Literal[LA_SOURCES]
PanelSource = Literal["urn:cspr:panel"]
assert PANEL_SOURCE == "urn:cspr:panel"


class Strict(BaseModel):
    """Base of every contract model: strict types, no unknown fields, immutable."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)
