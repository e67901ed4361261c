"""The project's validation error: one reason code and every problem found, each with its path."""

from __future__ import annotations

from dataclasses import dataclass

# Reason codes a message can be rejected with before or during model validation. Stream-side
# reasons that need a case's history (``source_not_authorised`` for a case event from another
# LA, ``case_exists``, ``unknown_case``, ``case_rule_violation``) are listed in
# ``schemas.reasons``; this module raises only the stateless ones.
MESSAGE_TOO_LARGE = "message_too_large"
NOT_UTF8 = "not_utf8"
INVALID_JSON = "invalid_json"
NOT_AN_OBJECT = "not_an_object"
NESTING_TOO_DEEP = "nesting_too_deep"
UNKNOWN_TYPE = "unknown_type"
SOURCE_NOT_AUTHORISED = "source_not_authorised"
SCHEMA_VIOLATION = "schema_violation"


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
