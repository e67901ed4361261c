"""The CloudEvents 1.0 envelope (structured JSON mode) that carries every event, v1 and v2."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from schemas.errors import Problem
from schemas.types import EventId, EventTime, Strict, Subject, Uri

TYPE_PREFIX = "uk.gov.cspr."


def drop_default(schema: dict[str, Any]) -> None:
    # Optional attributes may be absent but never null: no default appears in JSON Schema.
    schema.pop("default", None)


def _is_none(value: Any) -> bool:
    return value is None


class EventData(Strict):
    """Base of every ``data`` object. Subclasses list their cross-field rules."""

    # Date fields that record a fact, so cannot be later than the date written in ``time``.
    knowledge_dates: ClassVar[tuple[str, ...]] = ()

    def contract_problems(self, recorded_on: dt.date, prefix: str = "data.") -> list[Problem]:
        """Rules between fields that need no history; ``prefix`` is this object's path.

        Runs for every valid event, so it is written for the case where nothing is wrong.
        """
        problems = []
        values = self.__dict__
        for name in self.knowledge_dates:
            value = values.get(name)
            if value is not None and value > recorded_on:
                problems.append(
                    Problem(
                        f"{prefix}{name}",
                        f"is after the date written in time ({recorded_on}): a fact cannot be "
                        f"recorded before it happened, got {value}",
                    )
                )
        return problems


class Envelope(Strict):
    """Attributes common to every event. ``source``, ``type`` and ``data`` are per type."""

    specversion: Literal["1.0"]
    id: EventId
    subject: Subject
    time: EventTime
    if TYPE_CHECKING:
        datacontenttype: Literal["application/json"] | None = None
        dataschema: str | None = None
    else:
        # Optional, but never null: absent gives None, an explicit null is an error.
        # exclude_if: a dumped event leaves them out rather than writing a null the contract rejects.
        datacontenttype: Literal["application/json"] = Field(
            default=None, json_schema_extra=drop_default, exclude_if=_is_none)
        dataschema: Uri = Field(default=None, json_schema_extra=drop_default, exclude_if=_is_none)

    # Set by each event class.
    source: str
    type: str
    data: EventData

    def to_json(self) -> bytes:
        """The event as contract JSON (UTF-8), ready to publish: ``parse_event`` gives it back."""
        return self.model_dump_json().encode("utf-8")

    @property
    def short_type(self) -> str:
        """``incident.notified`` for ``uk.gov.cspr.incident.notified.v1``."""
        return self.type[len(TYPE_PREFIX): self.type.rindex(".v")]

    @property
    def dedup_key(self) -> tuple[str, str]:
        """(source, id) with the id lower-cased: equal keys are one event delivered twice."""
        return (self.source, self.id.lower())

    def envelope_problems(self) -> list[Problem]:
        return []

    @model_validator(mode="after")
    def _cross_field_rules(self) -> Envelope:
        problems = self.data.contract_problems(self.time.date())
        envelope = self.envelope_problems()
        if envelope:
            problems = envelope + problems
        if problems:
            raise PydanticCustomError(
                "contract_rules",
                "{summary}",
                {"summary": "; ".join(map(str, problems)), "problems": problems},
            )
        return self
