"""The worker on a real broker (the embedded mode's Kafka, its 8 MiB message limit) against what
stopped it before: hostile messages, the README's ``unknown_case`` remedy, and a 60 s broker
outage. One broker and one worker for the module; the tests run in order and share them.

1. the hostile corpus (deep nesting, 1–5 MB, invalid UTF-8, NaN, 1e400, 5,000-digit integers, ...)
   is dead-lettered with reasons, the worker keeps running and accepts the next event;
2. an event dead-lettered ``unknown_case`` and re-sent after its notification is accepted once;
3. the broker is SIGKILLed mid-stream and restarted on its own log 60 s later: the worker waits,
   says so on /status, resumes, and every acknowledged event is in the raw store exactly once,
   equal to the reference replay.
"""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.settings import load_settings
from infra.stack.run import subject_of
from producers.reference.history import replay
from producers.simulator.random_scenario import RandomOptions, generate
from tests.conftest import unavailable
from tests.streams import events as e
from tests.streams.cases.test_no_message_stops_the_stream import HOSTILE
from tests.streams.test_pipeline import read_store

pytestmark = [pytest.mark.integration, pytest.mark.slow]
OUTAGE_S = 60


class Stack:
    def __init__(self, root: Path):
        from infra.brokers import BrokerError, EmbeddedBroker
        from infra.stack.run import WorkerProcess
        from infra.topics import ensure_topics

        self.root = root
        self.broker = EmbeddedBroker(root)
        try:
            self.broker.start()
        except BrokerError as exc:
            unavailable(f"the embedded broker could not start: {exc}")
        ensure_topics(self.broker.bootstrap_servers, load_settings())
        self.worker = WorkerProcess(self.broker.bootstrap_servers, root, root / "worker.log")
        self.worker.wait_ready(timeout_s=120)
        self.sent: list[bytes] = []  # every acknowledged message, in order

    def send(self, messages: list[bytes], key: bytes | None = None) -> list[Any]:
        """Send raw, one acknowledgement at a time; returns each send's error (None: acknowledged)."""
        from kafka import KafkaProducer
        from kafka.errors import KafkaError

        producer = KafkaProducer(bootstrap_servers=self.broker.bootstrap_servers, acks="all",
                                 enable_idempotence=True, max_request_size=16 << 20)
        errors: list[Any] = []
        try:
            for raw in messages:
                try:
                    producer.send(load_settings().topic_inbound, key=key or subject_of(raw), value=raw).get(timeout=60)
                except KafkaError as exc:
                    errors.append(exc)
                    continue
                errors.append(None)
                self.sent.append(raw)
        finally:
            producer.close(timeout=10)
        return errors

    def wait_idle(self, timeout_s: float = 300) -> dict[str, Any]:
        return self.worker.wait_idle(0, timeout_s)

    def stop(self) -> None:
        self.worker.stop()
        self.broker.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    s = Stack(tmp_path_factory.mktemp("resilience"))
    yield s
    s.stop()


def test_hostile_messages_are_dead_lettered_and_the_stream_goes_on(stack: Stack) -> None:
    big = [b'{"x": "' + b"a" * (n << 20) + b'"}' for n in (1, 3, 5)]
    errors = stack.send([*HOSTILE, *big])
    assert errors == [None] * (len(HOSTILE) + len(big))  # all taken by the broker ...
    S = "SIN-2020-000001"
    stack.send([e.notified(S)], key=S.encode())
    status = stack.wait_idle()
    assert stack.worker.process.poll() is None  # ... and none of them stopped the worker
    assert status["accepted"] == 1
    assert sum(status["dead_lettered_by_reason"].values()) == len(HOSTILE) + len(big)
    assert status["dead_lettered_by_reason"]["message_too_large"] >= 3
    assert "processing_error" not in status["dead_lettered_by_reason"]  # each had its own reason


def test_an_unknown_case_event_re_sent_after_its_notification_is_accepted_once(stack: Stack) -> None:
    s, other = "SIN-2021-000001", "SIN-2021-000002"
    late = e.feedback(s, "2021-05-01T10:00:00Z", "2021-05-01")
    stack.wait_idle()
    start = stack.worker.status(fast=False)
    assert start is not None
    stack.send([late], key=s.encode())
    # on the same partition as the held event, 8 days later: another case's time decides nothing
    stack.send([e.notified(other, time="2021-05-09T10:00:00Z", notified_date="2021-05-09")], key=s.encode())
    stack.wait_idle()
    before = stack.worker.status(fast=False)
    assert before is not None
    assert before["dead_lettered_by_reason"].get("unknown_case", 0) == start["dead_lettered_by_reason"].get(
        "unknown_case", 0)
    assert before["case_table"]["held"] - start["case_table"]["held"] == 1
    # the notification, more than 7 days after the held event, rejects it; the LA re-sends it
    stack.send([e.notified(s, time="2021-05-09T11:00:00Z", notified_date="2021-05-09")], key=s.encode())
    rejected = stack.wait_idle()
    assert rejected["dead_lettered_by_reason"].get("unknown_case", 0) - before["dead_lettered_by_reason"].get(
        "unknown_case", 0) == 1
    stack.send([late, late], key=s.encode())
    stack.wait_idle()
    after = stack.worker.status(fast=False)
    assert after is not None
    assert after["accepted"] - before["accepted"] == 2  # the notification and the re-sent event
    assert after["duplicates"] - before["duplicates"] == 1  # the second re-send
    assert after["dead_lettered_by_reason"] == rejected["dead_lettered_by_reason"]
    assert after["case_table"]["held"] == start["case_table"]["held"]


def test_a_60_s_broker_outage_mid_stream_loses_nothing_and_counts_nothing_twice(stack: Stack) -> None:
    lines = list(generate(RandomOptions(cases=1500, seed=23, start_year=2022, years=1, duplicate_rate=0.02,
                                        out_of_order_rate=0.05, invalid_rate=0.01)))
    status = stack.worker.status()
    assert status is not None
    consumed_before = status["consumed"]
    half = len(lines) // 2
    assert all(err is None for err in stack.send(lines[:half]))
    deadline = time.monotonic() + 120
    while (stack.worker.status() or {}).get("consumed", 0) < consumed_before + half // 4:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert stack.broker.process is not None
    stack.broker.process.send_signal(signal.SIGKILL)  # mid-stream, without warning
    stack.broker.process.wait(30)
    waited_for: list[dict[str, str]] = []
    ends = time.monotonic() + OUTAGE_S
    while time.monotonic() < ends:
        assert stack.worker.process.poll() is None, "the worker stopped during the outage"
        status = stack.worker.status()
        if status and status["waiting_for"]:
            waited_for.append(status["waiting_for"])
        assert not (status or {}).get("idle"), "the worker says it is idle while the broker is away"
        time.sleep(1)
    assert waited_for, "the worker never said on /status what it waits for"
    stack.broker.stop()
    stack.broker.start()  # the same log, the same ports
    assert all(err is None for err in stack.send(lines[half:]))
    status = stack.wait_idle(600)
    assert status["waiting_for"] == {}
    final = stack.worker.status(fast=False)
    assert final is not None
    held = final["case_table"]["held"]  # never notified: still waiting
    stack.worker.stop()
    store = read_store(stack.root)
    oracle = replay(stack.sent)
    got = Counter((src, eid, seq) for src, eid, seq in store["events"])
    assert max(got.values()) == 1
    assert set(got) == {(a.event.source, a.event.id.lower(), a.case_seq) for a in oracle.accepted}
    # the oracle counts the events still held at the end of its input unknown_case
    dead = Counter(r for r, _ in store["dead_letters"]) + Counter({"unknown_case": held})
    assert json.dumps(sorted(dead.items())) == json.dumps(
        sorted(Counter(r.reason for r in {(x.raw, x.reason): x for x in oracle.rejected}.values()).items()))
