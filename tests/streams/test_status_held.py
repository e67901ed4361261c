"""``/status`` shows the events waiting for their case's notification, and those waiting more than
7 days of event time, so an operator can chase the partner (no broker: the worker's live states)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from streams.cases.history import CaseProjection, Origin
from tests.streams import events as e

S, T = "SIN-2020-000001", "SIN-2020-000002"


@pytest.fixture
def live_states(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict]:
    """The worker's case states as the views read them (its case table), here a plain dict."""
    import streams.views
    from streams.cases import agents

    states: dict = {}
    monkeypatch.setattr(streams.views, "case_states", lambda: list(states.values()))
    monkeypatch.setattr(agents.live, "projection", CaseProjection(states))
    yield states


def _fold(states: dict, lines: list[bytes]) -> None:
    from streams.cases import agents

    projection = CaseProjection(states)
    for offset, raw in enumerate(lines):
        projection.process(raw, Origin("in", 0, offset))
    agents.live.projection.rebuild(states.values())  # as after a restart: the latest event time from the states


def test_status_counts_held_events_and_lists_those_more_than_7_days_behind(live_states: dict) -> None:
    from streams.views import case_totals

    _fold(live_states, [e.feedback(S, "2020-05-01T10:00:00Z", "2020-05-01"),
                        e.feedback(T, "2020-05-06T10:00:00Z", "2020-05-06"),
                        e.notified("SIN-2020-000003", time="2020-05-09T10:00:00Z")])
    totals = case_totals()
    assert totals["held"] == 2
    assert totals["held_over_7_days"] == 1  # S's (8 days behind); T's is 3 days behind
    assert totals["held_overdue"] == [{"subject": S, "source": "urn:cspr:panel", "time": "2020-05-01T10:00:00+00:00"}]


def test_a_released_event_is_no_longer_held(live_states: dict) -> None:
    from streams.views import case_totals

    _fold(live_states, [e.feedback(S, "2020-05-01T10:00:00Z", "2020-05-01"),
                        e.notified("SIN-2020-000003", time="2020-05-20T10:00:00Z"),
                        e.notified(S, time="2020-05-07T10:00:00Z", notified_date="2020-05-07")])
    totals = case_totals()
    assert (totals["held"], totals["held_over_7_days"], totals["held_overdue"]) == (0, 0, [])
    assert totals["accepted"] == 3
