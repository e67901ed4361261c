"""The project's validation error: one reason code and every problem found, each with its path."""

from __future__ import annotations

from dataclasses import dataclass

# The reason codes live in schemas.reasons (with the stream's); imported here because the
# parser and older callers name them as schemas.errors.<CODE>.
from schemas.reasons import (
    INVALID_JSON,
    MESSAGE_TOO_LARGE,
    NESTING_TOO_DEEP,
    NOT_AN_OBJECT,
    NOT_UTF8,
    SCHEMA_VIOLATION,
    SOURCE_NOT_AUTHORISED,
    UNKNOWN_TYPE,
)

__all__ = [
    "INVALID_JSON", "MESSAGE_TOO_LARGE", "NESTING_TOO_DEEP", "NOT_AN_OBJECT", "NOT_UTF8",
    "SCHEMA_VIOLATION", "SOURCE_NOT_AUTHORISED", "UNKNOWN_TYPE", "CsprError", "EventValidationError",
    "Problem", "ServiceUnavailable",
]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an event: where (``data.children[2].age_years``) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class CsprError(Exception):
    """Base of every error this project raises on purpose."""


class ServiceUnavailable(CsprError):
    """A service (broker, warehouse, Grafana) could not be reached in time; the CLI exits 3."""


class EventValidationError(CsprError, ValueError):
    """An event broke the contract. ``reason`` is machine-readable; ``problems`` say where."""

    def __init__(self, reason: str, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.reason = reason
        self.problems = tuple(problems) or (Problem("$", reason.replace("_", " ")),)
        super().__init__(f"{reason}: " + "; ".join(str(p) for p in self.problems))

    def as_dict(self) -> dict[str, object]:
        return {
            "reason": self.reason,
            "problems": [{"path": p.path, "message": p.message} for p in self.problems],
        }
