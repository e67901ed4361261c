"""Chaos, short: ``tests/infra/stack/chaos.py`` with a few worker kills and a whole-stack SIGKILL
(``make chaos`` runs the long one, 10 kills)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.infra.stack.chaos import run_chaos

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_every_acknowledged_event_survives_worker_kills_and_a_whole_stack_kill(tmp_path: Path) -> None:
    result = run_chaos(tmp_path / "data", kills=2, cases=250, seed=11)
    assert result["worker_kills"] == 2 and result["restarts_recorded"] >= 2
    assert result["raw_events_rows"] == result["accepted_by_the_reference"] > 0
