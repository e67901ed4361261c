"""The worker's heartbeat row (``streams.heartbeat``): what the stream-lag alert reads."""

from __future__ import annotations

import datetime as dt

from streams.heartbeat import COLUMNS, WORKER, heartbeat_row

NOW = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)
COUNTS = {"consumed": 120, "sent_events": 100, "sunk_events": 90, "sent_dead_letters": 5, "sunk_dead_letters": 5}


def test_the_row_carries_the_inbound_and_relay_lags_and_what_is_in_flight():
    row = dict(zip(COLUMNS, heartbeat_row({"cspr.events.inbound": 42, "cspr.events.inbound.*": 7}, COUNTS, NOW, NOW),
                   strict=True))
    assert row == {"taken_at": NOW, "worker": WORKER, "lag_messages": 42, "relay_lag": 7, "in_flight": 10,
                   "consumed": 120, "watermark": NOW}


def test_a_lag_not_known_yet_is_minus_one_not_zero():
    """Before its first assignment the worker does not know its lag: -1, which the alert's sum of
    the two lags does not count as messages (and the silent-worker rule covers a worker that never
    gets going)."""
    row = dict(zip(COLUMNS, heartbeat_row({"cspr.events.inbound": None, "cspr.events.inbound.*": None}, COUNTS,
                                          None, NOW), strict=True))
    assert (row["lag_messages"], row["relay_lag"], row["watermark"]) == (-1, -1, None)
