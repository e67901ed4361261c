"""The broker the project starts itself: it serves Kafka clients, keeps its log across restarts
(clean or SIGKILL), stops cleanly, fails clearly, and never outlives its parent."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from infra.brokers import BrokerError, BrokerStartError, EmbeddedBroker, KafkaBroker, ensure_jars
from schemas.errors import ServiceUnavailable

pytestmark = pytest.mark.integration


def _metadata_brokers(bootstrap_servers: str) -> list[dict]:
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers, bootstrap_timeout_ms=5000)
    try:
        return admin.describe_cluster()["brokers"]
    finally:
        admin.close()


def test_the_broker_serves_kafka_metadata_on_its_loopback_port(kafka_broker):
    host, _, port = kafka_broker.bootstrap_servers.rpartition(":")
    assert host == "127.0.0.1"
    listed = _metadata_brokers(kafka_broker.bootstrap_servers)
    assert [(b["host"], b["port"]) for b in listed] == [("127.0.0.1", int(port))]
    assert kafka_broker.running and kafka_broker.log_path.is_file()


def _produce(bootstrap: str, values: list[bytes]) -> None:
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    try:
        for v in values:
            producer.send("kept", v).get(timeout=30)  # acknowledged, one by one
    finally:
        producer.close(timeout=5)


def _consume(bootstrap: str, group: str, expected: int, commit: bool = False) -> list[bytes]:
    from kafka import KafkaConsumer

    consumer = KafkaConsumer("kept", bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest",
                             enable_auto_commit=False, consumer_timeout_ms=10_000)
    try:
        got = []
        for record in consumer:
            got.append(record.value)
            if len(got) == expected:
                break
        if commit:
            consumer.commit()
        return got
    finally:
        consumer.close()


def test_the_embedded_broker_restarts_on_its_own_log_after_a_stop_and_after_sigkill(tmp_path):
    first = [f"a{i}".encode() for i in range(50)]
    second = [f"b{i}".encode() for i in range(50)]
    with EmbeddedBroker(tmp_path) as broker:
        meta = (broker.data_dir / "meta.properties").read_text()
        _produce(broker.bootstrap_servers, first)
        assert _consume(broker.bootstrap_servers, "g", 50, commit=True) == first
        process, port = broker.process, broker.port
    assert process is not None and process.poll() is not None  # stopped, and its port is free again
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))

    broker = EmbeddedBroker(tmp_path)  # a new object: new ports, the same log
    broker.start()
    try:
        assert (broker.data_dir / "meta.properties").read_text() == meta  # not formatted again
        _produce(broker.bootstrap_servers, second)
        assert broker.process is not None
        broker.process.send_signal(signal.SIGKILL)  # right after the last acknowledgement
        broker.process.wait(30)
        broker.stop()
        broker.start()  # the same object: the same ports
        assert _consume(broker.bootstrap_servers, "other", 100) == first + second
        assert _consume(broker.bootstrap_servers, "g", 50) == second  # the committed offset kept
    finally:
        broker.stop()


def test_a_broker_that_cannot_listen_fails_fast_with_its_log(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(BrokerStartError) as caught:
            KafkaBroker(work_dir=tmp_path, port=port, start_timeout_s=60).start()
    assert time.monotonic() - started < 60
    message = str(caught.value)
    assert f"127.0.0.1:{port}" in message and "Last lines of its log" in message
    assert isinstance(caught.value, ServiceUnavailable)


def test_kafka_broker_without_jars_says_how_to_fetch_them(tmp_path):
    with pytest.raises(BrokerStartError, match=r"infra/kafka/fetch\.sh"):
        KafkaBroker(libs_dir=tmp_path / "empty", work_dir=tmp_path / "work").start()
    with pytest.raises(BrokerStartError, match=r"infra/kafka/fetch\.sh"):
        ensure_jars(tmp_path / "empty")


def test_unstarted_broker_has_no_address():
    with pytest.raises(BrokerError, match="start"):
        _ = KafkaBroker().bootstrap_servers


def test_a_child_started_with_die_with_parent_dies_when_its_parent_is_sigkilled(tmp_path: Path):
    code = ("import subprocess, sys, time\n"
            "from infra.brokers import die_with_parent\n"
            "child = subprocess.Popen(['sleep', '300'], start_new_session=True, preexec_fn=die_with_parent())\n"
            "print(child.pid, flush=True)\n"
            "time.sleep(300)\n")
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    parent.kill()
    parent.wait(10)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{child}").exists() and "Z" not in _state(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{child}").exists() or "Z" in _state(child), "the child outlived its parent"


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return "gone"


def test_a_port_taken_between_probe_and_bind_is_retried_on_a_new_port(tmp_path, monkeypatch):
    import infra.brokers.base as base

    real_free_port = base.free_port
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        offered = iter([taken.getsockname()[1]])
        # The first port offered is already bound (as if another process won the race).
        monkeypatch.setattr(base, "free_port", lambda: next(offered, None) or real_free_port())
        monkeypatch.setattr("infra.brokers.kafka.free_port", base.free_port)
        with KafkaBroker(work_dir=tmp_path) as broker:
            assert broker.port != taken.getsockname()[1]
            assert _metadata_brokers(broker.bootstrap_servers)
