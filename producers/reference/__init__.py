"""The reference calculator: the contract's history rules and every acceptance figure, in plain
Python, independent of the stream and of dbt. It is the oracle the other parts are tested against.

    from producers.reference import replay, compute_figures
"""

from producers.reference.figures import CaseAsAt, cases_as_at, compute_figures, figures_from_replay
from producers.reference.history import (
    CASE_EXISTS,
    CASE_RULE_VIOLATION,
    SOURCE_NOT_AUTHORISED,
    UNKNOWN_CASE,
    AcceptedEvent,
    RejectedEvent,
    Replay,
    fold_incident,
    replay,
)

__all__ = [
    "CASE_EXISTS", "CASE_RULE_VIOLATION", "SOURCE_NOT_AUTHORISED", "UNKNOWN_CASE", "AcceptedEvent",
    "CaseAsAt", "RejectedEvent", "Replay", "cases_as_at", "compute_figures", "figures_from_replay",
    "fold_incident", "replay",
]
