"""The case agent (``streams.cases.agents``) and its Faust tables on Apache Kafka: what one worker
stores, sends and commits, and its tables surviving restarts — from the worker's local RocksDB
files (reading only the changelog written since) and, with those files gone, from the changelog
topics alone. (The per-message guard is tested without Kafka in test_no_message_stops_the_stream.)"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.settings import load_settings
from producers.reference.history import replay
from tests.streams import events as e

S, T = "SIN-2020-000001", "SIN-2020-000002"

# --- the tables across restarts, on a real broker ----------------------------------------------

def _history() -> list[bytes]:
    cases = [f"SIN-2020-{i:06d}" for i in range(1, 41)]
    lines: list[bytes] = []
    for i, s in enumerate(cases):
        day = f"2020-05-{1 + i % 28:02d}"
        harm, category = (("death", "sudi"), ("serious_harm", "neglect"))[i % 2]
        lines.append(e.notified(s, time=f"{day}T10:00:00Z", notified_date=day, harm_type=harm, category=category))
        if i % 3:
            lines.append(e.submitted(s, f"{day}T12:00:00Z", day))
        if i % 10 == 0:
            lines.append(e.withdrawn(s, f"{day}T13:00:00Z"))
    return lines


@pytest.fixture(scope="module")
def bootstrap(kafka_broker: Any) -> Iterator[str]:
    from infra.topics import ensure_topics

    ensure_topics(kafka_broker.bootstrap_servers, load_settings())
    yield kafka_broker.bootstrap_servers


def _publish(bootstrap: str, lines: list[bytes]) -> None:
    import json

    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for raw in lines:
        producer.send(load_settings().topic_inbound, key=json.loads(raw)["subject"].encode(), value=raw)
    producer.flush()
    producer.close()


def _worker(bootstrap: str, data_dir: Path) -> Any:
    from infra.stack.run import WorkerProcess

    worker = WorkerProcess(bootstrap, data_dir, data_dir / "worker.log")
    worker.wait_ready(timeout_s=90)
    return worker


def _tables(worker: Any) -> dict[str, Any]:
    status = worker.wait_idle(0, timeout_s=60)
    return {"consumed": status["consumed"], "case_table": worker.status(fast=False)["case_table"],
            "notifications": worker.get("/figures/notifications"),
            "timeliness": worker.get("/figures/timeliness?year=2020&as_of=2020-07-01")}


@pytest.mark.integration
def test_the_tables_come_back_from_the_local_store_and_from_the_changelog_alone(
        bootstrap: str, tmp_path: Path) -> None:
    lines = _history()
    _publish(bootstrap, lines)
    oracle = replay(lines)
    worker = _worker(bootstrap, tmp_path)
    try:
        first = _tables(worker)
    finally:
        assert worker.stop() == 0
    assert first["consumed"] == len(lines)
    assert first["case_table"]["cases"] == 40
    assert first["case_table"]["accepted"] == len(oracle.accepted)
    assert first["notifications"]["by_month"]["2020-05"]["total"] == 36  # 4 of 40 withdrawn

    # a restart on the same folder: the tables are read from RocksDB, nothing is read again
    worker = _worker(bootstrap, tmp_path)
    try:
        again = _tables(worker)
    finally:
        assert worker.stop() == 0
    assert again == {**first, "consumed": 0}

    # the local tables lost: Faust recovers them from their changelog topics, nothing is read again
    shutil.rmtree(tmp_path / "stream")
    worker = _worker(bootstrap, tmp_path)
    try:
        recovered = _tables(worker)
    finally:
        assert worker.stop() == 0
    assert recovered == {**first, "consumed": 0}


@pytest.mark.integration
def test_one_worker_stores_sends_and_commits_each_outcome_once(bootstrap: str, tmp_path: Path) -> None:
    from aiokafka.partitioner import DefaultPartitioner
    from kafka import KafkaConsumer

    from tests.streams.test_pipeline import read_store

    u = "SIN-2019-000001"  # a case (and a month) of its own: the broker is the module's
    notification = e.notified(u, time="2019-05-04T10:00:00Z", notified_date="2019-05-04")
    lines = [e.submitted(u, "2019-05-04T09:00:00Z", "2019-05-04"), notification, notification,
             e.notified(u, time="2019-05-05T10:00:00Z", notified_date="2019-05-04"), b"{oops"]
    _publish(bootstrap, lines[:4])
    _publish_unkeyed(bootstrap, lines[4:])
    worker = _worker(bootstrap, tmp_path)
    try:
        status = worker.wait_idle(0, timeout_s=60)
        tables = worker.status(fast=False)["case_table"]
        figures = worker.get("/figures/notifications")
    finally:
        assert worker.stop() == 0
    # at least once: a rebalance as the worker joins (the last test's worker may still be in the
    # group) makes it read again what it had not committed; a replay is recognised, not counted
    assert status["consumed"] >= 5 and status["accepted"] == 2
    # (an invalid message has no case to remember it by: read again, it is counted again on
    # /status, and its dead_letters row, keyed by its bytes and reason, collapses)
    assert status["dead_lettered_by_reason"]["case_exists"] == 1 and status["dead_lettered_by_reason"]["invalid_json"] >= 1
    assert status["sent"]["events"] >= 2 and status["sunk"]["events"] >= 2
    assert tables["held"] == 0
    assert figures["by_month"]["2019-05"]["total"] == 1
    store = read_store(tmp_path)
    assert sorted(seq for _, _, seq in store["events"]) == [1, 2]
    assert sorted(reason for reason, _ in store["dead_letters"]) == ["case_exists", "invalid_json"]
    consumer = KafkaConsumer(load_settings().topic_events, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                             consumer_timeout_ms=30_000)  # a first fetch can take seconds on a busy machine
    sent = []
    for m in consumer:
        if m.key == u.encode():
            sent.append((dict(m.headers)["case_seq"], m.partition))
        if len(sent) == 2:
            break
    consumer.close()
    # sent in per-partition batches, each to the partition a keyed send would have chosen
    keyed = DefaultPartitioner()(u.encode(), list(range(load_settings().topic_partitions)), [])
    assert sorted(sent) == [(b"1", keyed), (b"2", keyed)]
    consumer = KafkaConsumer(load_settings().topic_dlq, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                             consumer_timeout_ms=30_000)
    dead = {}
    for m in consumer:
        headers = dict(m.headers)
        if m.key == u.encode() or m.value == b"{oops":
            dead[headers["reason"]] = (m.value, m.partition if m.key else None)
        if {b"case_exists", b"invalid_json"} <= dead.keys():
            break
    consumer.close()
    assert dead[b"case_exists"] == (lines[3], keyed)
    assert dead[b"invalid_json"] == (b"{oops", None)


def _publish_unkeyed(bootstrap: str, lines: list[bytes]) -> None:
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for raw in lines:
        producer.send(load_settings().topic_inbound, value=raw)
    producer.flush()
    producer.close()


@pytest.mark.integration
def test_a_transaction_marker_on_the_inbound_topic_does_not_stop_the_stream(bootstrap: str, tmp_path: Path) -> None:
    """A transactional writer leaves a marker in the partition, an offset no consumer is given: the
    worker seeks back to it a few times, then goes on past it, and commits to the end."""
    import asyncio
    import json

    from aiokafka import AIOKafkaProducer

    cases = [f"SIN-2018-{i:06d}" for i in (1, 2, 3)]  # cases (and a month) of their own
    lines = [e.notified(s, time="2018-06-01T10:00:00Z", notified_date="2018-06-01") for s in cases]
    topic = load_settings().topic_inbound

    async def publish() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, transactional_id="cspr-test-txn",
                                    enable_idempotence=True)
        await producer.start()
        try:
            async with producer.transaction():  # two events, then the commit marker
                for raw in lines[:2]:
                    await producer.send(topic, raw, key=json.loads(raw)["subject"].encode(), partition=3)
        finally:
            await producer.stop()

    asyncio.run(publish())
    from kafka import KafkaProducer

    plain = KafkaProducer(bootstrap_servers=bootstrap, acks="all")  # after the marker, no transaction
    plain.send(topic, key=cases[2].encode(), value=lines[2], partition=3)
    plain.flush()
    plain.close()
    worker = _worker(bootstrap, tmp_path)
    try:
        status = worker.wait_idle(0, timeout_s=120)  # idle: committed to the partition's end, marker included
        figures = worker.get("/figures/notifications")
    finally:
        assert worker.stop() == 0
    assert status["offsets_not_on_the_broker"] == 1
    assert status["accepted"] == 3 and figures["by_month"]["2018-06"]["total"] == 3
    assert "are not on the broker" in (tmp_path / "worker.log").read_text("utf-8", "replace")
