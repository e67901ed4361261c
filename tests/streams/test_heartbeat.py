"""The worker's heartbeat row (``streams.heartbeat``): what the stream-lag alert reads."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time

import pytest

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


def test_counters_not_counted_yet_are_zero():
    """A worker that has dead-lettered nothing has no such counter yet (it crashed the first
    heartbeat service: KeyError 'sent_dead_letters')."""
    from collections import Counter

    row = dict(zip(COLUMNS, heartbeat_row({"cspr.events.inbound": 0}, Counter(consumed=3, sent_events=3, sunk_events=3),
                                          None, NOW), strict=True))
    assert (row["in_flight"], row["consumed"], row["relay_lag"]) == (0, 3, -1)


@pytest.mark.integration
def test_the_worker_beats_and_shows_the_alert_rules_on_status(broker, tmp_path):
    """A real worker on a real broker and chDB: after a case with no rapid review, its heartbeat is
    in stream_heartbeats (caught up: lag 0) and /status carries every alert rule, evaluated by the
    same function as Grafana's rules (the marts are not built here: their rules say why)."""
    from infra.settings import load_settings
    from infra.topics import ensure_topics
    from infra.warehouse.alerts import HEARTBEAT_EVERY_S, RULES
    from tests.streams.events import notified
    from tests.streams.test_pipeline import Pipeline, read_store

    ensure_topics(broker.bootstrap_servers, load_settings())
    p = Pipeline(broker.bootstrap_servers, tmp_path)
    p.start_worker()
    try:
        p.publish([notified("SIN-2020-000777")])
        p.wait_idle(1)
        deadline = time.monotonic() + 4 * HEARTBEAT_EVERY_S
        status = p.worker.status(fast=True) or {}
        while not (status.get("alerts") or {}).get("rules") and time.monotonic() < deadline:
            time.sleep(1)
            status = p.worker.status(fast=True) or {}
        rules = {r["uid"]: r for r in status["alerts"]["rules"]}
        assert list(rules) == [r.uid for r in RULES]
        assert rules["cspr-stream-silent"]["state"] == "ok" and rules["cspr-stream-lag"]["state"] == "ok"
        assert rules["cspr-overdue-rapid-reviews"]["state"] == "error"  # no vintage built in this test
        # never built: no catalogue yet, so the query itself fails (Grafana: the rule's error state)
        assert rules["cspr-stale-build"]["state"] == "error" and "vintages" in rules["cspr-stale-build"]["error"]
    finally:
        p.worker.stop()
    code = ("import json, sys\nfrom infra.settings import load_settings\nfrom infra.warehouse import get_client\n"
            "c = get_client(load_settings(), data_dir=sys.argv[1])\n"
            "print(json.dumps(c.query('SELECT lag_messages, in_flight FROM cspr.stream_heartbeats').result_rows))\n")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    beats = json.loads(out.stdout.strip().splitlines()[-1])
    assert beats and beats[-1] == [0, 0]
    assert read_store(tmp_path)["events"], "the case is stored"
