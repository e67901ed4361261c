"""The case stage (``streams.cases.agents.CaseStream``) on a real broker (Kafka) and the session's chDB
warehouse: it consumes the inbound topic, writes ClickHouse, sends its outcomes on, commits, and a
new instance recovers the cases from the changelog without reading committed messages again."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from infra.settings import load_settings
from tests.streams import events as e

pytestmark = pytest.mark.integration
S = "SIN-2020-000001"


@pytest.fixture(scope="module")
def bootstrap(broker: Any) -> Iterator[str]:
    from infra.topics import ensure_topics

    ensure_topics(broker.bootstrap_servers, load_settings())
    yield broker.bootstrap_servers


def _publish(bootstrap: str, messages: list[bytes]) -> None:
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for raw in messages:
        producer.send(load_settings().topic_inbound, key=S.encode(), value=raw)
    producer.flush()
    producer.close()


def _run_until(bootstrap: str, database: str, warehouse: Any, done: Any) -> dict[str, Any]:
    """Run a fresh CaseStream until ``done(stats)`` or 60 s; return what it committed and held."""
    from streams import stats
    from streams.cases import agents
    from streams.sink import agents as sink
    from streams.sink.writer import Writer

    sink.use_writer(Writer(load_settings(clickhouse_url="chdb"), warehouse.data_dir, database))

    async def scenario() -> dict[str, Any]:
        service = agents.CaseStream(conf=load_settings(), bootstrap=bootstrap)
        await service.start()
        try:
            for _ in range(1200):
                if done(stats.counts) and service.lags() == 0:
                    break
                await asyncio.sleep(0.05)
            return {"lag": service.lags(), "committed": sum(service.committed.values())}
        finally:
            await service.stop()

    return asyncio.run(scenario())


def _fresh_worker_memory() -> None:
    from streams import stats
    from streams.cases import agents

    stats.reset()
    agents.live.states.clear()
    agents.live.rebuild()


def test_the_stage_stores_sends_and_commits_and_a_new_one_recovers_the_cases(
        bootstrap: str, warehouse: Any, warehouse_db: str) -> None:
    from kafka import KafkaConsumer

    from streams import stats
    from streams.cases import agents

    notification = e.notified(S)
    _publish(bootstrap, [e.submitted(S, "2020-05-04T09:00:00Z", "2020-05-04"), notification, notification,
                         e.notified(S, time="2020-05-05T10:00:00Z"), b"{oops"])
    _fresh_worker_memory()
    got = _run_until(bootstrap, warehouse_db, warehouse, lambda c: c["consumed"] >= 5)
    assert got == {"lag": 0, "committed": 5}
    assert stats.counts["consumed"] == 5
    assert stats.counts["accepted"] == 2 and stats.counts["sent_events"] == 2 and stats.counts["sunk_events"] == 2
    assert stats.counts["duplicates"] == 1
    assert dict(stats.rejected_by_reason) == {"case_exists": 1, "invalid_json": 1}
    assert stats.counts["sunk_dead_letters"] == 2
    state = agents.live.states[S]
    assert state["seq"] == 2 and state["held"] == []
    # the review arrived before its notification and was released in order: received, 0 working days
    assert agents.live.book.counts["n|2020-05-04|death"] == 1
    assert agents.live.book.counts["rr|2020-05-04|1-15|2020-05-04"] == 1
    rows = warehouse.client.query(
        f"SELECT type, case_seq, kafka_topic FROM {warehouse_db}.raw_events FINAL ORDER BY case_seq").result_rows
    assert rows == [("uk.gov.cspr.incident.notified.v1", 1, "cspr.events.inbound"),
                    ("uk.gov.cspr.rapid_review.submitted.v1", 2, "cspr.events.inbound")]
    dead = warehouse.client.query(f"SELECT reason FROM {warehouse_db}.dead_letters FINAL ORDER BY reason").result_rows
    assert dead == [("case_exists",), ("invalid_json",)]
    consumer = KafkaConsumer(load_settings().topic_events, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                             consumer_timeout_ms=30_000)  # a first fetch can take seconds on a busy machine
    sent = []
    for m in consumer:
        sent.append(dict(m.headers)["case_seq"])
        if len(sent) == 2:
            break
    sent.sort()
    consumer.close()
    assert sent == [b"1", b"2"]

    # a restarted worker: the cases come back from the changelog, committed messages are not read again
    _fresh_worker_memory()
    _publish(bootstrap, [e.feedback(S, "2020-05-21T00:00:00Z", "2020-05-21")])
    got = _run_until(bootstrap, warehouse_db, warehouse, lambda c: c["consumed"] >= 1)
    assert got == {"lag": 0, "committed": 6}
    assert stats.counts["consumed"] == 1 and stats.counts["accepted"] == 1
    assert agents.live.states[S]["seq"] == 3
    assert agents.live.book.counts["n|2020-05-04|death"] == 1
    seqs = warehouse.client.query(f"SELECT case_seq FROM {warehouse_db}.raw_events FINAL ORDER BY case_seq")
    assert [r[0] for r in seqs.result_rows] == [1, 2, 3]
