"""ensure_topics: the platform's three topics, created once, with the configured partitions."""

from __future__ import annotations

import time

import pytest

from infra.settings import load_settings
from infra.topics import TopicError, ensure_topics
from schemas.errors import ServiceUnavailable


@pytest.mark.integration
def test_topics_are_created_once_with_configured_partitions(broker):
    from kafka import KafkaAdminClient

    settings = load_settings(topic_partitions=3)
    first = ensure_topics(broker.bootstrap_servers, settings)
    assert first == {"cspr.events.inbound": "created", "cspr.events": "created", "cspr.events.dlq": "created"}
    again = ensure_topics(broker.bootstrap_servers, settings)
    assert set(again.values()) == {"exists"}
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap_servers)
    try:
        described = {t["name"]: len(t["partitions"]) for t in admin.describe_topics(list(first))}
    finally:
        admin.close()
    assert described == {name: 3 for name in first}


@pytest.mark.integration
def test_kafka_refuses_a_replication_factor_above_its_brokers_with_a_clear_error(kafka_broker):
    settings = load_settings(topic_replication_factor=3, topic_inbound="rf3.inbound",
                             topic_events="rf3.events", topic_dlq="rf3.dlq")
    with pytest.raises(TopicError, match=r"rf3\.inbound.*replicat"):
        ensure_topics(kafka_broker.bootstrap_servers, settings)


def test_unreachable_broker_is_service_unavailable_within_the_connect_timeout():
    settings = load_settings(kafka_connect_timeout_s=1.5)
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable, match=r"127\.0\.0\.1:1 within 1\.5 s"):
        ensure_topics("127.0.0.1:1", settings)
    assert time.monotonic() - started < 5


@pytest.mark.integration
def test_a_controller_the_metadata_does_not_list_yet_is_asked_again(kafka_broker, monkeypatch):
    """A cluster just formed may name a controller its metadata does not list yet (seen with three
    nodes: UnknownBrokerIdError): the topics are asked for again on a new admin client, and made."""
    from kafka import KafkaAdminClient
    from kafka.errors import UnknownBrokerIdError

    real = KafkaAdminClient.create_topics
    calls = []

    def first_fails(self, *args, **kwargs):
        calls.append(self)
        if len(calls) == 1:
            raise UnknownBrokerIdError(3)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(KafkaAdminClient, "create_topics", first_fails)
    settings = load_settings(topic_inbound="again.inbound", topic_events="again.events", topic_dlq="again.dlq")
    assert set(ensure_topics(kafka_broker.bootstrap_servers, settings).values()) == {"created"}
    assert len(calls) == 2 and calls[0] is not calls[1]


@pytest.mark.integration
def test_an_error_that_asking_again_cannot_mend_is_service_unavailable_at_once(kafka_broker, monkeypatch):
    from kafka import KafkaAdminClient
    from kafka.errors import IllegalArgumentError

    def refused(self, *args, **kwargs):
        raise IllegalArgumentError("no")

    monkeypatch.setattr(KafkaAdminClient, "create_topics", refused)
    with pytest.raises(ServiceUnavailable, match=r"did not create topics \(IllegalArgumentError"):
        ensure_topics(kafka_broker.bootstrap_servers, load_settings(topic_inbound="x.inbound", topic_events="x.events",
                                                                    topic_dlq="x.dlq"))
