"""Load a replayed history into a test database's raw store, and build the marts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from infra.warehouse.dbt_runner import run_dbt
from infra.warehouse.raw_store import dead_letter_row, insert_dead_letters, insert_events, raw_event_row


def load_replay(client: Any, database: str, result: Any, start_offset: int = 0) -> int:
    """Insert the accepted events (with their case_seq; partnership events too) and dead letters of a
    reference replay."""
    accepted = [*result.accepted, *result.partnerships]  # the stream stores partnership events too
    rows = [
        raw_event_row(a.raw, a.event, a.case_seq, "cspr.events", 0, start_offset + i)
        for i, a in enumerate(accepted)
    ]
    insert_events(client, database, rows)
    dead = [
        dead_letter_row(r.raw, r.reason, r.detail, topic="cspr.events.inbound", partition=0, offset=i)
        for i, r in enumerate(result.rejected)
    ]
    insert_dead_letters(client, database, dead)
    return len(rows)


def build(data_dir: Path, database: str, as_of: dt.date | str, *args: str, command: str = "build") -> Any:
    outcome = run_dbt(
        [command, "--vars", f"{{as_of: '{as_of}'}}", *args],
        data_dir=data_dir, database=database, work_dir=Path(data_dir) / "dbt", quiet=True,
    )
    assert outcome.success, f"dbt {command} failed: {outcome.exception or _failures(outcome.result)}"
    return outcome


def _failures(result: Any) -> str:
    try:
        return "; ".join(f"{r.node.name}: {r.message}" for r in result.results if r.status not in ("success", "pass"))
    except AttributeError:
        return repr(result)
