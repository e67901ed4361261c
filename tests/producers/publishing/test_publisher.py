"""The publishing SDK against real brokers: exactly once per publish, keyed by subject, bytes unchanged."""

from __future__ import annotations

import collections
import json
import time

import pytest
from kafka.errors import KafkaError

from infra.brokers import BrokerError, KafkaBroker, free_port
from producers.publishing import (
    BrokerUnavailable,
    DeliveryFailed,
    InvalidEvent,
    MessageTooLarge,
    Publisher,
    PublisherConfigError,
    PublishError,
)
from schemas import parse_event
from schemas.errors import ServiceUnavailable
from tests.conftest import unavailable
from tests.producers.publishing.events import history, line, notified
from tests.producers.publishing.kafka_helpers import consume_all, create_topic


@pytest.mark.integration
def test_every_event_arrives_once_keyed_by_subject_with_its_bytes_unchanged(broker):
    create_topic(broker.bootstrap_servers, "roundtrip")
    lines = history(300)
    with Publisher(broker.bootstrap_servers, topic="roundtrip") as publisher:
        assert publisher.idempotent
        results = list(publisher.publish_many(lines))
    assert [r.status for r in results] == ["sent"] * 300
    assert [r.ref for r in results] == list(range(1, 301))

    records = consume_all(broker.bootstrap_servers, "roundtrip", expected=300)
    assert collections.Counter(r.value for r in records) == collections.Counter(lines)
    for record in records:
        assert record.key.decode() == parse_event(record.value).subject
    where = {(r.partition, r.offset) for r in records}
    assert {(r.partition, r.offset) for r in results} == where
    by_subject = collections.defaultdict(set)
    for record in records:
        by_subject[record.key].add(record.partition)
    assert all(len(parts) == 1 for parts in by_subject.values()), "one case spread over partitions"


@pytest.mark.integration
def test_republishing_a_file_duplicates_messages_but_not_their_source_and_id(broker):
    # Kafka gets every message twice (a new producer session cannot know what an earlier one
    # sent); downstream de-duplication by (source, id) makes the second copy change nothing.
    create_topic(broker.bootstrap_servers, "rerun")
    lines = history(50)
    for _ in range(2):
        with Publisher(broker.bootstrap_servers, topic="rerun") as publisher:
            assert all(r.status == "sent" for r in publisher.publish_many(lines))
    records = consume_all(broker.bootstrap_servers, "rerun", expected=100)
    assert len(records) == 100
    keys = collections.Counter(parse_event(r.value).dedup_key for r in records)
    assert len(keys) == 50 and set(keys.values()) == {2}
    assert collections.Counter(r.value for r in records) == collections.Counter({v: 2 for v in lines})


@pytest.mark.integration
def test_invalid_events_are_reported_and_never_sent(kafka_broker):
    create_topic(kafka_broker.bootstrap_servers, "mixed")
    unknown_la = notified(1, la="E99999999")
    lines = [line(notified(0)), b'{"specversion": "1.0"', line(unknown_la), line(notified(2))]
    with Publisher(kafka_broker.bootstrap_servers, topic="mixed") as publisher:
        results = list(publisher.publish_many(lines, refs=[10, 11, 12, 13]))
    assert [(r.ref, r.status) for r in results] == [(10, "sent"), (11, "invalid"), (12, "invalid"), (13, "sent")]
    assert results[1].reason == "invalid_json"
    assert any("local_authority" in p.path or "source" in p.path for p in results[2].problems)
    assert results[1].describe().startswith("line 11: invalid_json")
    with pytest.raises(InvalidEvent) as caught:
        results[2].raise_for_error()
    assert caught.value.reason == results[2].reason
    records = consume_all(kafka_broker.bootstrap_servers, "mixed", expected=2)
    assert sorted(r.value for r in records) == sorted([lines[0], lines[3]])


@pytest.mark.integration
def test_a_dict_or_text_event_is_sent_as_json_that_parses_to_the_same_event(kafka_broker):
    create_topic(kafka_broker.bootstrap_servers, "dicts")
    event = notified(7)
    with Publisher(kafka_broker.bootstrap_servers, topic="dicts") as publisher:
        first = publisher.publish(event).raise_for_error()
        second = publisher.publish(json.dumps(event)).raise_for_error()
    assert first.status == second.status == "sent" and first.event_id == event["id"]
    records = consume_all(kafka_broker.bootstrap_servers, "dicts", expected=2)
    assert {r.value for r in records} == {json.dumps(event, separators=(",", ":")).encode(), json.dumps(event).encode()}
    assert all(parse_event(r.value) == parse_event(event) for r in records)


def test_a_broker_that_is_down_gives_a_clear_error_quickly():
    address = f"127.0.0.1:{free_port()}"  # nothing listens there
    started = time.monotonic()
    with pytest.raises(BrokerUnavailable) as caught:
        Publisher(address, connect_timeout_s=1.5)
    assert time.monotonic() - started < 5
    message = str(caught.value)
    assert address in message and "1.5 s" in message and "nothing was sent" in message
    assert isinstance(caught.value, ServiceUnavailable) and isinstance(caught.value, PublishError)
    assert isinstance(caught.value.__cause__, KafkaError)


def test_the_embedded_setting_is_not_a_broker_address():
    with pytest.raises(PublisherConfigError, match="running Kafka broker"):
        Publisher("embedded")


@pytest.mark.parametrize("address", ["nonsense", "host:port", "127.0.0.1:9092,:9093"])
def test_a_malformed_broker_address_is_a_config_error_naming_it(address):
    with pytest.raises(PublisherConfigError, match="is not host:port"):
        Publisher(address)


def test_an_unknown_or_missing_compression_codec_is_refused_before_connecting():
    with pytest.raises(PublisherConfigError, match="unknown compression"):
        Publisher("127.0.0.1:1", compression="brotli")


def test_dry_run_check_needs_no_broker():
    assert Publisher.check(line(notified(3)), ref=5).status == "valid"
    assert Publisher.check(b"[]", ref=6).status == "invalid"


@pytest.mark.integration
def test_a_message_the_broker_finds_too_large_is_a_failed_result_not_an_exception(tmp_path):
    big = notified(9)
    big["data"]["children"] = [
        {"child_ref": f"{i:02d}" + "x" * 62, "age_years": 3, "gender": "male", "ethnicity": "mixed"} for i in range(20)
    ]
    payload = line(big)
    assert len(payload) > 2048
    small = KafkaBroker(work_dir=tmp_path, broker_config={"message.max.bytes": "1024"})
    try:
        small.start()
    except BrokerError as exc:
        unavailable(f"kafka could not start: {exc}")
    try:
        create_topic(small.bootstrap_servers, "small", partitions=2)
        lines = [line(notified(10)), payload, *(line(notified(n)) for n in range(11, 15))]
        with Publisher(small.bootstrap_servers, topic="small", compression=None, delivery_timeout_s=20) as publisher:
            results = list(publisher.publish_many(lines))
            after = publisher.publish(line(notified(20)))
        records = consume_all(small.bootstrap_servers, "small", expected=6)
    finally:
        small.stop()
    # Only the oversized event fails; its neighbours (aborted with it by kafka-python) are re-sent.
    assert [r.status for r in results] == ["sent", "failed", "sent", "sent", "sent", "sent"]
    assert after.status == "sent"
    assert payload not in {r.value for r in records}
    assert {parse_event(r.value).id for r in records} >= {r.event_id for r in (*results, after) if r.status == "sent"}
    result = results[1]
    assert result.reason == "message_too_large", result
    assert result.detail is not None and "message.max.bytes" in result.detail
    with pytest.raises(MessageTooLarge):
        result.raise_for_error()
    assert issubclass(MessageTooLarge, DeliveryFailed)


@pytest.mark.integration
def test_a_broker_that_dies_mid_run_gives_failed_results_within_the_delivery_timeout(tmp_path):
    from infra.brokers import EmbeddedBroker

    lines = history(20)
    embedded = EmbeddedBroker(tmp_path)
    try:
        embedded.start()
    except BrokerError as exc:
        unavailable(f"the embedded broker could not start: {exc}")
    try:
        with Publisher(embedded.bootstrap_servers, topic="dies", delivery_timeout_s=3) as publisher:
            assert {r.status for r in publisher.publish_many(lines[:10])} == {"sent"}
            embedded.stop()
            started = time.monotonic()
            results = list(publisher.publish_many(lines[10:]))
            waited = time.monotonic() - started
    finally:
        embedded.stop()
    assert {r.status for r in results} == {"failed"} and {r.reason for r in results} == {"timeout"}
    assert waited < 10
    assert embedded.bootstrap_servers in (results[0].detail or "")
    with pytest.raises(DeliveryFailed):
        results[0].raise_for_error()
