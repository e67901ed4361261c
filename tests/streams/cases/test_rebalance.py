"""Rebalances while the case agent has batches in hand and in its buffer, on a real broker: a
second worker joins mid-replay (partitions move to it), then is killed (SIGKILL: its partitions,
with what it handled but had not committed, come back to the first worker, which held them a
generation before). The first worker must end with every partition committed to its end (no
commits stopped by another generation's acknowledgements), its case tables (recovered from
changelogs both workers wrote) counting each accepted event once, and the figures equal to the
reference calculator's. (streams.app.FencedRevocation and ExactCommits; without Kafka:
tests/streams/test_commits.py.)"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from infra.settings import load_settings
from producers.reference.figures import compute_figures
from producers.reference.history import replay
from tests.streams.test_pipeline import read_store

pytestmark = pytest.mark.integration
AS_OF = dt.date(2021, 3, 31)
CHUNK = 40        # events per chunk of the trickle
PAUSE_S = 0.15    # between chunks: the trickle lasts through both rebalances on a busy machine too


def _history() -> list[bytes]:
    from producers.simulator.random_scenario import RandomOptions, generate

    return list(generate(RandomOptions(cases=2000, seed=23, start_year=2019, years=2)))


def _publish(bootstrap: str, lines: list[bytes], pause_s: float = 0.0) -> None:
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20)
    for i, raw in enumerate(lines):
        try:
            doc = json.loads(raw)
        except ValueError:  # the history's invalid messages go unkeyed
            doc = None
        subject = doc.get("subject") if isinstance(doc, dict) else None
        producer.send(load_settings().topic_inbound, key=subject.encode() if isinstance(subject, str) else None,
                      value=raw)
        if pause_s and i % CHUNK == CHUNK - 1:
            producer.flush()
            time.sleep(pause_s)
    producer.flush()
    producer.close()


def _wait(condition: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} within {timeout_s:g} s")


def test_a_worker_killed_after_a_rebalance_gives_its_partitions_back_and_nothing_is_lost_or_counted_twice(
        kafka_broker: Any, tmp_path: Path) -> None:
    from infra.stack.run import WorkerProcess
    from infra.topics import ensure_topics

    bootstrap = kafka_broker.bootstrap_servers
    ensure_topics(bootstrap, load_settings())
    lines = _history()
    oracle = replay(lines)
    half = len(lines) // 2
    _publish(bootstrap, lines[:half])
    dirs = [tmp_path / "w1", tmp_path / "w2"]
    for d in dirs:
        d.mkdir()
    first = WorkerProcess(bootstrap, dirs[0], dirs[0] / "worker.log")
    second = None
    trickle = threading.Thread(target=_publish, args=(bootstrap, lines[half:], PAUSE_S), daemon=True)
    try:
        first.wait_ready(timeout_s=90)
        _wait(lambda: (first.status() or {}).get("consumed", 0) > 0, 120, "the first worker consumed nothing")
        trickle.start()  # the first worker is busy from here on: each rebalance finds a batch in hand or buffered
        second = WorkerProcess(bootstrap, dirs[1], dirs[1] / "worker.log")
        second.wait_ready(timeout_s=90)  # it has its partitions: the first rebalance is done
        _wait(lambda: ((second.status() or {}).get("sunk") or {}).get("events", 0) > 0, 120,
              "the second worker stored nothing")
        second.kill()  # its partitions go back to the first worker once its session expires
        trickle.join(300)
        status = first.wait_idle(len(lines) // 2, timeout_s=240)  # idle: every partition committed to its end
        final = first.status(fast=False)
        figures = first.get("/figures/notifications")
        period = first.get("/figures/period-change?from=2020-04-01&to=2020-09-30")
    finally:
        for w in (first, second):
            if w is not None:
                w.stop()

    assert status["lag"][load_settings().topic_inbound] == 0 and final is not None
    assert final["case_table"]["accepted"] == len(oracle.accepted)
    want = compute_figures(lines, 2020, AS_OF)
    by_harm: Counter[str] = Counter()
    for month, row in figures["by_month"].items():
        if month.startswith("2020"):
            by_harm.update({h: row[h] for h in ("death", "serious_harm", "other")})
    assert dict(by_harm) == {h: want["notifications"][h] for h in ("death", "serious_harm", "other")}
    assert (period["current"], period["previous"]) == (want["period_change"]["current"],
                                                       want["period_change"]["previous"])
    # the raw stores: together the oracle's accepted events, each with its case_seq (what the
    # killed worker stored and the first stored again has the same case_seq), none twice in one
    union: dict[tuple[str, str], int] = {}
    for d in dirs:
        events = read_store(d)["events"]
        keys = [(src, eid) for src, eid, _ in events]
        assert len(keys) == len(set(keys))
        for src, eid, seq in events:
            assert union.setdefault((src, eid), seq) == seq
    assert union == {(a.event.source, a.event.id.lower()): a.case_seq for a in oracle.accepted}
