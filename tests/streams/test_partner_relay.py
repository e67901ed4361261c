"""The partner relay in a real worker on Apache Kafka, its partners configured (``CSPR_PARTNERS``).

The worker creates the configured partner's topic before it starts and subscribes to it from the
start; its authority's event is forwarded to the shared inbound topic, another authority's and a
broken message are dead-lettered, and the offsets are committed in the worker's own consumer group
(Faust's) once relayed. A restart relays nothing twice. A partner topic the broker neither has
nor lets the worker create stops the start with a one-line error.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from schemas.partners import partner_topic
from streams.app import APP_ID
from tests.fixtures.brokers import kafka_broker  # noqa: F401  (the module's broker)
from tests.streams import events as e

pytestmark = pytest.mark.integration

LA = "E06000001"
OTHER = "E09000005"
INBOUND = "cspr.events.inbound"


class Worker:
    def __init__(self, bootstrap: str, data_dir: Path, err: Path, partners: str) -> None:
        self.err = err
        self._out = err.open("ab")
        self.mark = err.stat().st_size
        self.proc = subprocess.Popen([sys.executable, "-m", "infra.cli", "worker", "--bootstrap-servers", bootstrap,
                                      "--data-dir", str(data_dir), "--web-port", "0"],
                                     stdout=subprocess.DEVNULL, stderr=self._out,
                                     env={**os.environ, "CSPR_PARTNERS": partners})

    def log(self) -> str:
        return self.err.read_bytes()[self.mark:].decode(errors="replace")

    def status(self) -> dict[str, Any] | None:
        assert self.proc.poll() is None, self.log()[-3000:]
        said = [line for line in self.log().splitlines() if "web views on http://127.0.0.1:" in line]
        if not said:
            return None
        try:
            with urllib.request.urlopen(said[0].split("web views on ")[1].strip() + "status?fast=1", timeout=5) as r:
                return dict(json.loads(r.read()))
        except OSError:
            return None

    def wait(self, done: Any, what: str, timeout_s: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while True:
            status = self.status()
            if status is not None and done(status):
                return status
            assert time.monotonic() < deadline, f"{what}: {status}"
            time.sleep(0.5)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(120)
        finally:
            self._out.close()
        assert code == 0 and "Traceback" not in self.log(), self.log()[-3000:]


def read_topic(bootstrap: str, topic: str) -> list[Any]:
    """Every message of the topic, up to each partition's end as the broker has it now."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    try:
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        got: list[Any] = []
        deadline = time.monotonic() + 120
        while any(consumer.position(tp) < ends[tp] for tp in tps):
            assert time.monotonic() < deadline, f"{topic}: read {len(got)} of {sum(ends.values())} messages"
            got += [m for ms in consumer.poll(timeout_ms=1000).values() for m in ms]
        return got
    finally:
        consumer.close()


def committed(bootstrap: str, topic: str) -> dict[int, int | None]:
    """The worker's consumer group's committed offset of each of the topic's partitions."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=APP_ID, enable_auto_commit=False)
    try:
        return {p: consumer.committed(TopicPartition(topic, p)) for p in consumer.partitions_for_topic(topic) or ()}
    finally:
        consumer.close()


def test_a_configured_partners_topic_is_relayed_committed_and_not_relayed_again(kafka_broker, tmp_path: Path) -> None:  # noqa: F811
    from kafka import KafkaProducer
    from kafka.admin import KafkaAdminClient

    from infra.settings import load_settings
    from infra.topics import ensure_topics

    bootstrap = kafka_broker.bootstrap_servers
    ensure_topics(bootstrap, load_settings())
    topic = partner_topic(INBOUND, LA)
    err = tmp_path / "worker.err"
    worker = Worker(bootstrap, tmp_path / "d", err, f"{LA},panel")
    try:
        # the worker made both partners' topics before it started: they are there once it serves
        worker.wait(lambda s: True, "the worker did not serve /status")
        admin = KafkaAdminClient(bootstrap_servers=bootstrap)
        try:
            assert {topic, f"{INBOUND}.panel"} <= set(admin.list_topics())
        finally:
            admin.close()
        mine, theirs = e.notified("SIN-2020-000001", la=LA), e.notified("SIN-2020-000002", la=OTHER)
        producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
        for raw in (mine, theirs, b"{not json"):
            producer.send(topic, value=raw, key=b"k")
        producer.flush()
        producer.close()
        status = worker.wait(lambda s: s["dead_lettered"] >= 2 and s["accepted"] >= 1 and s["lag"][f"{INBOUND}.*"] == 0,
                             "the relay did not take the partner's messages")
        assert status["dead_lettered_by_reason"] == {"source_not_authorised": 1, "invalid_json": 1}
    finally:
        worker.stop()
    # committed by Faust in the worker's one consumer group, up to the end of what was relayed
    assert sum(offset or 0 for offset in committed(bootstrap, topic).values()) == 3
    forwarded = read_topic(bootstrap, INBOUND)
    assert [(m.key, m.value) for m in forwarded] == [(b"SIN-2020-000001", mine)]
    dead = read_topic(bootstrap, "cspr.events.dlq")
    assert sorted(m.value for m in dead) == sorted([theirs, b"{not json"])
    headers = {m.value: dict(m.headers) for m in dead}[theirs]
    assert (headers["reason"], headers["origin_topic"]) == (b"source_not_authorised", topic.encode())

    # a restart reads on from the commit: nothing relayed twice
    again = Worker(bootstrap, tmp_path / "d", err, LA)
    try:
        again.wait(lambda s: s["idle"] and s["lag"][f"{INBOUND}.*"] == 0 and s["lag"][INBOUND] == 0,
                   "the restarted worker did not settle")
        time.sleep(2)
        settled = again.status()
        assert settled is not None and (settled["consumed"], settled["dead_lettered"]) == (0, 0), settled
    finally:
        again.stop()
    assert len(read_topic(bootstrap, INBOUND)) == 1


def test_a_partner_topic_the_worker_may_not_have_stops_the_start_on_one_line(kafka_broker, tmp_path: Path) -> None:  # noqa: F811
    from infra.settings import load_settings
    from schemas.errors import CsprError
    from streams.worker import ensure_partner_topics

    # a partner without a topic yet; one broker refuses three copies
    conf = load_settings(partners=OTHER, topic_partitions=1, topic_replication_factor=3)
    with pytest.raises(CsprError) as err:
        ensure_partner_topics(conf, kafka_broker.bootstrap_servers, timeout_s=2)
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"CSPR_PARTNERS: no topic for partner {INBOUND}.{OTHER}")
    assert "refused" in message and "add-partner.sh" in message

