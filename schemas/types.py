"""Field types shared by every event: dates, timestamps, ids, references and LA codes.

Dates and timestamps are checked by hand-written validators because the contract is stricter
than pydantic's parsers: only ``YYYY-MM-DD`` calendar dates on or after 2018-01-01, only
RFC 3339 timestamps with ``Z`` or an explicit offset.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from schemas.local_authorities import LA_CODES, LA_SOURCE_PREFIX, PANEL_SOURCE

EARLIEST_DATE = dt.date(2018, 1, 1)

# Years 2018-9999, so that JSON Schema alone can reject dates before 2018-01-01.
DATE_PATTERN = r"^(201[89]|20[2-9][0-9]|2[1-9][0-9]{2}|[3-9][0-9]{3})-[0-9]{2}-[0-9]{2}$"
_DATE_SHAPE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
TIME_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
_TIME_RE = re.compile(TIME_PATTERN)
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
SUBJECT_PATTERN = r"^[A-Z0-9][A-Z0-9-]{3,40}$"
CHILD_REF_PATTERN = r"^[A-Za-z0-9_-]{6,64}$"
URI_PATTERN = r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$"

# What a partner's developer reads when a pattern does not match (see schemas.parsing).
PATTERN_DESCRIPTIONS = {
    UUID_PATTERN: "must be a UUID in canonical 8-4-4-4-12 hexadecimal form",
    SUBJECT_PATTERN: "must be the Panel's case reference: A-Z, 0-9 and '-', 4 to 41 characters, "
    "not starting with '-' (e.g. SIN-2020-000123)",
    CHILD_REF_PATTERN: "must be a pseudonymous reference of 6 to 64 characters A-Z, a-z, 0-9, '_' "
    "or '-' (derive it with the producer SDK's child_ref helper)",
    URI_PATTERN: "must be an absolute URI",
}


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        parsed = value
    else:
        if type(value) is not str or not _DATE_SHAPE.match(value):
            raise PydanticCustomError(
                "contract_date", "must be a date written YYYY-MM-DD, got {got}", {"got": _show(value)}
            )
        try:
            parsed = dt.date.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError(
                "contract_date", "is not a calendar date, got {got}", {"got": _show(value)}
            ) from None
    if parsed < EARLIEST_DATE:
        raise PydanticCustomError(
            "contract_date", "must be on or after 2018-01-01, got {got}", {"got": str(parsed)}
        )
    return parsed


def _time(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise PydanticCustomError("contract_time", "must carry a UTC offset", {})
        return value
    if type(value) is not str or not _TIME_RE.match(value):
        raise PydanticCustomError(
            "contract_time",
            "must be an RFC 3339 timestamp with Z or a +hh:mm offset "
            "(e.g. 2020-05-01T09:30:00Z), got {got}",
            {"got": _show(value)},
        )
    try:
        return dt.datetime.fromisoformat(value.upper())
    except ValueError:
        raise PydanticCustomError(
            "contract_time", "is not a valid timestamp, got {got}", {"got": _show(value)}
        ) from None


def _show(value: Any) -> str:
    """A short, safe rendering of an offending value for an error message."""
    text = repr(value) if not isinstance(value, (dict, list)) else type(value).__name__
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        text = "null"
    return text if len(text) <= 60 else text[:57] + "..."


ContractDate = Annotated[
    dt.date,
    PlainValidator(_date),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DATE_PATTERN}),
]
EventTime = Annotated[
    dt.datetime,
    PlainValidator(_time),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": TIME_PATTERN}),
]
EventId = Annotated[str, Field(pattern=UUID_PATTERN)]
Subject = Annotated[str, Field(pattern=SUBJECT_PATTERN)]
ChildRef = Annotated[str, Field(pattern=CHILD_REF_PATTERN)]
Uri = Annotated[str, Field(pattern=URI_PATTERN, max_length=2048)]

_LA_CODES_SORTED = tuple(sorted(LA_CODES))
LaCode = Literal[_LA_CODES_SORTED]  # type: ignore[valid-type]
LaSource = Literal[tuple(LA_SOURCE_PREFIX + c for c in _LA_CODES_SORTED)]  # type: ignore[valid-type]
PanelSource = Literal["urn:cspr:panel"]
assert PANEL_SOURCE == "urn:cspr:panel"


class Strict(BaseModel):
    """Base of every contract model: strict types, no unknown fields, immutable."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)
