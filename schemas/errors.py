"""The project's errors (one base, ``CsprError``) and the one mapping from outcomes to exit codes.

Every command of ``safeguarding`` ends through :func:`exit_code_for` (an error) or
:func:`exit_code_for_counts` (a run that finished), so the exit status means the same thing
everywhere:

====  ==========================================================================================
0     all good: every input line valid and delivered
1     the command ran, but input was invalid or undelivered: some or every line invalid or
      dead-lettered, an empty input, a file that is not JSON Lines (binary, a JSON array)
2     a usage error, a bad setting, a path that cannot be read or written
3     a service (broker, warehouse, Grafana) could not be reached
130   interrupted (Ctrl-C)
====  ==========================================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

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
    "ExitCode", "InvalidInput", "Problem", "ServiceUnavailable", "UsageError", "exit_code_for",
    "exit_code_for_counts",
]


class ExitCode(IntEnum):
    """What a command's exit status means; the README's table is this one."""

    OK = 0
    INVALID = 1
    USAGE = 2
    UNAVAILABLE = 3
    INTERRUPTED = 130


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an event: where (``data.children[2].age_years``) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class CsprError(Exception):
    """Base of every error this project raises on purpose. Unless a subclass says otherwise it is
    the caller's to fix (an argument, a setting, a path): the CLI exits 2."""

    exit_code: ExitCode = ExitCode.USAGE


class UsageError(CsprError):
    """A command-line argument, a setting or a path is wrong; the CLI exits 2."""


class InvalidInput(CsprError):
    """The input itself is not events (empty, binary, a JSON array, nothing valid); the CLI exits 1."""

    exit_code = ExitCode.INVALID


class ServiceUnavailable(CsprError):
    """A service (broker, warehouse, Grafana) could not be reached in time; the CLI exits 3."""

    exit_code = ExitCode.UNAVAILABLE


def exit_code_for(error: CsprError | OSError | KeyboardInterrupt) -> ExitCode:
    """The exit status of a command that ended with ``error``: the project's own errors say
    theirs; a path the system refused (``OSError``) is 2; Ctrl-C is 130. Anything else is a bug
    and keeps its traceback."""
    if isinstance(error, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    if isinstance(error, CsprError):
        return error.exit_code
    return ExitCode.USAGE


def exit_code_for_counts(*, good: int, bad: int) -> ExitCode:
    """The exit status of a command that went through its input: ``good`` lines valid and
    delivered (accepted), ``bad`` lines invalid, dead-lettered or undelivered. Nothing at all
    (an empty input) is not success."""
    return ExitCode.OK if bad == 0 and good > 0 else ExitCode.INVALID


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
