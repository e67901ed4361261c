"""The partner relay killed (SIGKILL) while a partner publishes, then restarted: nothing lost,
nothing counted twice (its own broker: the figures below are this test's alone)."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import pytest

from schemas.partners import partner_topic
from tests.fixtures.brokers import kafka_broker  # noqa: F401  (the module's broker)
from tests.streams import events as e
from tests.streams.test_partner_relay import INBOUND, OTHER, Worker, committed, read_topic

pytestmark = pytest.mark.integration


def test_a_worker_killed_while_relaying_loses_nothing_and_counts_nothing_twice(kafka_broker, tmp_path: Path) -> None:  # noqa: F811
    """SIGKILL in the middle of a partner's stream, then a restart: every valid event reaches its
    case exactly once (forwarded twice at most, absorbed by the de-duplication by (source, id)),
    every refused one is dead-lettered."""
    import threading

    from kafka import KafkaProducer

    from infra.settings import load_settings
    from infra.topics import ensure_topics

    bootstrap = kafka_broker.bootstrap_servers
    ensure_topics(bootstrap, load_settings())
    la = "E08000025"
    topic = partner_topic(INBOUND, la)
    valid = [e.notified(f"SIN-2020-7{i:05d}", la=la) for i in range(8000)]
    refused = [e.notified(f"SIN-2020-8{i:05d}", la=OTHER) for i in range(200)]
    stream = valid[:4000] + refused + valid[4000:]
    err = tmp_path / "worker.err"
    worker = Worker(bootstrap, tmp_path / "d", err, la)
    sent, killed = threading.Event(), threading.Event()

    def publish() -> None:  # a partner's messages, paced: a part before the kill, the rest after
        producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
        for n, raw in enumerate(stream):
            if n == 3000:
                producer.flush()
                killed.wait(120)
            producer.send(topic, value=raw, key=str(n).encode())
            if n % 200 == 199:
                producer.flush()
                time.sleep(0.25)
        producer.flush()
        producer.close()
        sent.set()

    publisher = threading.Thread(target=publish, daemon=True)
    try:
        worker.wait(lambda s: s["lag"][INBOUND] is not None, "the worker did not start")
        publisher.start()
        status = worker.wait(lambda s: s["consumed"] >= 1500, "the relay forwarded nothing")
        worker.proc.kill()
        worker.proc.wait(30)
        at_kill = len(read_topic(bootstrap, INBOUND)), sum(o or 0 for o in committed(bootstrap, topic).values())
        killed.set()
    finally:
        if worker.proc.poll() is None:
            worker.proc.kill()
        worker._out.close()
    print(f"\nkilled after {status['consumed']} events consumed; at the kill {at_kill[0]} forwarded, "
          f"{at_kill[1]} committed of the partner's topic")
    again = Worker(bootstrap, tmp_path / "d", err, la)
    try:
        publisher.join(120)
        assert sent.is_set()
        again.wait(lambda s: s["idle"] and s["lag"][INBOUND] == 0 and s["lag"][f"{INBOUND}.*"] == 0,
                   "the restarted worker did not take the partner's messages", timeout_s=300)
        with urllib.request.urlopen(_url(again) + "status", timeout=60) as resp:
            cases = json.loads(resp.read())["case_table"]
    finally:
        again.stop()
    ids = {json.loads(raw)["id"] for raw in valid}
    assert {json.loads(m.value)["id"] for m in read_topic(bootstrap, "cspr.events")} == ids
    forwarded = [json.loads(m.value)["id"] for m in read_topic(bootstrap, INBOUND)]
    assert set(forwarded) == ids  # every valid event forwarded, none refused
    print(f"forwarded {len(forwarded)} for {len(ids)} events")
    # forwarded again: exactly those forwarded but not committed at the kill (a committed one never)
    assert len(forwarded) - len(ids) == at_kill[0] - at_kill[1]
    # each case once; each second copy of a forward the crash left uncommitted seen as a duplicate
    assert (cases["cases"], cases["accepted"], cases["rejected"]) == (len(valid), len(valid), 0)
    assert cases["duplicates"] == len(forwarded) - len(ids)
    assert {m.value for m in read_topic(bootstrap, "cspr.events.dlq")} == set(refused)


def _url(worker: Worker) -> str:
    said = [line for line in worker.log().splitlines() if "web views on http://127.0.0.1:" in line]
    return said[0].split("web views on ")[1].strip()
