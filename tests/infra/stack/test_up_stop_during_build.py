"""Stopping ``safeguarding up`` while a scheduled build runs: it stops without waiting for the
build (it used to wait for it, once longer than 180 s), and leaves no half-built vintage
presented as current.

A real ``up`` with the calibrated 2020 history builds its ``latest`` vintage (A); one more
notification starts another build; while ``/schedule`` says it runs, ``up`` gets Ctrl-C. Then:

- ``up`` exits 0 with every child gone, and the worker says it abandoned the build;
- the ``latest`` vintage is still A, whole: the catalogue's last successful build is A's, the
  vintage database has A's events and its viewer tables, and no newer successful row exists;
- a new ``up`` on the folder takes the notification again (acknowledged means kept: its offset
  was not committed) and builds a vintage that has it.

How long the stop took is printed against how long a whole build takes (a figure: it depends on
the machine's load).
"""

from __future__ import annotations

import json
import signal
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.warehouse import rows_in_a_new_process
from tests.infra.stack.test_up import Up

pytestmark = [pytest.mark.integration, pytest.mark.slow]
BUILT_TIMEOUT_S = 300


def _built_with_everything(up: Up) -> dict[str, Any]:
    deadline = time.monotonic() + BUILT_TIMEOUT_S
    while True:
        status, schedule = up.get("/status?fast=1"), up.get("/schedule")
        if schedule["events"] == status["accepted"] and status["idle"] and not schedule["running"]:
            return dict(schedule)
        assert time.monotonic() < deadline, (status, schedule)
        time.sleep(0.5)


def _read(data_dir: Path) -> dict[str, Any]:
    """The warehouse after the stack stopped: the catalogue's rows for latest, and the latest
    vintage database's events and viewer table."""
    got = rows_in_a_new_process(
        data_dir,
        catalogue="SELECT status, toString(built_at), events FROM cspr.vintages WHERE name = 'latest' ORDER BY built_at",
        freshness="SELECT count() FROM cspr_latest.rpt_event_freshness",
        pub="SELECT count() FROM cspr_latest.pub_local_authority_notifications",
        databases="SELECT name FROM system.databases WHERE name LIKE 'cspr_latest%'",
        notifications="SELECT sum(notifications) FROM cspr_latest.rpt_quarterly_learning")
    return {"catalogue": [list(map(str, r)) for r in got["catalogue"]], "freshness": got["freshness"][0][0],
            "pub": got["pub"][0][0], "databases": [r[0] for r in got["databases"]],
            "notifications": int(got["notifications"][0][0])}


def _one_more_notification(lines: list[bytes]) -> bytes:
    for raw in reversed(lines):
        event = json.loads(raw)
        if str(event.get("type", "")).startswith("uk.gov.cspr.incident.notified"):
            event["id"] = str(uuid.uuid4())
            event["subject"] = event["subject"][:-6] + "999902"
            return json.dumps(event).encode()
    raise AssertionError("the history has no notification")


def test_stopping_up_during_a_build_abandons_it_and_keeps_the_vintage_before(tmp_path: Path) -> None:
    from kafka import KafkaProducer

    from infra.settings import load_settings
    from producers.simulator import report_2020

    lines = report_2020(seed=0)
    events = tmp_path / "report-2020.jsonl"
    events.write_bytes(b"\n".join(lines) + b"\n")
    data = tmp_path / "data"
    up = Up(data, "--events", str(events))
    try:
        a = _built_with_everything(up)
        raw = _one_more_notification(lines)
        producer = KafkaProducer(bootstrap_servers=up.state["bootstrap"], acks="all", enable_idempotence=True)
        try:
            producer.send(load_settings().topic_inbound, key=json.loads(raw)["subject"].encode(), value=raw).get(30)
        finally:
            producer.close()
        deadline = time.monotonic() + 120
        while not ((s := up.get("/schedule"))["running"] and s["builds"] == a["builds"]):
            assert time.monotonic() < deadline and s["builds"] == a["builds"], ("no second build started", s)
            time.sleep(0.1)
        time.sleep(3)  # well inside the build (dbt has started)
        assert up.get("/schedule")["running"], "the build ended before the stop: nothing abandoned"
        asked = time.monotonic()
        up.stop(signal.SIGINT)  # exit 0, every child gone (asserted by Up.stop)
        took = time.monotonic() - asked
    finally:
        if up.process.poll() is None:
            up.process.kill()
    log = up.stderr.read_text(errors="replace")
    worker_logs = "".join(p.read_text(errors="replace") for p in data.rglob("worker*.log"))
    print(f"\nstop during a build: up exited in {took:.1f} s (a whole build took {a['last_took_s']} s)")
    assert "build in progress was abandoned" in log + worker_logs, (log[-3000:], worker_logs[-3000:])
    after = _read(data)
    ok = [r for r in after["catalogue"] if r[0] == "ok"]
    assert ok[-1][2] == str(a["events"]), "the latest successful build is still A"
    assert after["catalogue"][-1] == ok[-1]  # no later attempt recorded, and none half-recorded
    assert after["pub"] > 0 and after["freshness"] == 1  # A whole: its marts and its viewer tables
    assert after["databases"] == ["cspr_latest"] or "cspr_latest__old" not in after["databases"]
    # a new stack on the folder: the event comes again from the broker and is built
    again = Up(data)
    try:
        deadline = time.monotonic() + BUILT_TIMEOUT_S
        while not ((s := again.get("/schedule"))["events"] == a["events"] + 1 and not s["running"]):
            assert time.monotonic() < deadline, s
            time.sleep(0.5)
    finally:
        again.stop(signal.SIGINT)
    rebuilt = _read(data)
    assert rebuilt["notifications"] == after["notifications"] + 1, "A had not the abandoned build's event; B has"
    assert "cspr_latest__build" not in rebuilt["databases"]  # the abandoned build's leftovers are gone
