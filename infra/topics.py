"""The platform's three Kafka topics, created idempotently before anything produces or consumes.

- ``cspr.events.inbound``: what partners publish (key = subject), validated by the stream;
- ``cspr.events``: the accepted events, the log of truth;
- ``cspr.events.dlq``: rejected messages with their reason.

Names, partitions and replication factor come from the settings (``CSPR_TOPIC_*``).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from infra.kafka_clients import kafka_python_options
from infra.settings import Settings
from schemas.errors import CsprError, ServiceUnavailable

log = logging.getLogger(__name__)

TOPIC_ALREADY_EXISTS = 36  # Kafka error code


class TopicError(CsprError):
    """The broker refused to create a topic (the message says which and why)."""


def topic_names(settings: Settings) -> tuple[str, str, str]:
    return settings.topic_inbound, settings.topic_events, settings.topic_dlq


RETRY_S = 0.5


def _admin(bootstrap_servers: str, settings: Settings, wait_ms: int) -> Any:
    from kafka import KafkaAdminClient

    return KafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="cspr-topics", bootstrap_timeout_ms=wait_ms,
                            request_timeout_ms=max(wait_ms, 5000), **kafka_python_options(settings))


def ensure_topics(bootstrap_servers: str, settings: Settings) -> dict[str, str]:
    """Create the platform's topics that do not exist yet; return {topic: "created" | "exists"}.

    Raises ``ServiceUnavailable`` when no broker answers within ``kafka_connect_timeout_s``, and
    ``TopicError`` when the broker refuses a topic (e.g. a replication factor above its broker count).
    """
    from kafka.errors import KafkaError, RetriableError, UnknownBrokerIdError, for_code

    wait_ms = int(settings.kafka_connect_timeout_s * 1000)
    try:
        admin = _admin(bootstrap_servers, settings, wait_ms)
    except KafkaError as exc:
        raise ServiceUnavailable(
            f"no Kafka broker answered at {bootstrap_servers} within {settings.kafka_connect_timeout_s:g} s "
            f"({type(exc).__name__}); check the broker is running and CSPR_KAFKA_BOOTSTRAP_SERVERS"
        ) from exc
    try:
        spec = {name: {"num_partitions": settings.topic_partitions,
                       "replication_factor": settings.topic_replication_factor}
                for name in topic_names(settings)}
        deadline = time.monotonic() + settings.kafka_connect_timeout_s
        while True:
            try:
                response = admin.create_topics(spec, timeout_ms=wait_ms, raise_errors=False, wait_for_metadata=False)
                break
            except KafkaError as exc:
                # A cluster just formed may name a controller its metadata does not list yet
                # (UnknownBrokerIdError, seen with three nodes): ask again, on fresh metadata.
                if not isinstance(exc, (RetriableError, UnknownBrokerIdError)) or time.monotonic() >= deadline:
                    raise ServiceUnavailable(
                        f"the broker at {bootstrap_servers} did not create topics ({type(exc).__name__}: {exc})"
                    ) from exc
                log.info("creating topics at %s: %s; asking again", bootstrap_servers, type(exc).__name__)
                time.sleep(RETRY_S)
                try:
                    fresh = _admin(bootstrap_servers, settings, wait_ms)
                except KafkaError as again:
                    raise ServiceUnavailable(f"the broker at {bootstrap_servers} did not create topics "
                                             f"({type(again).__name__}: {again})") from again
                admin.close()
                admin = fresh
        outcome: dict[str, str] = {}
        refused = []
        for topic in response.get("topics", []):
            code = topic["error_code"]
            if code == 0:
                outcome[topic["name"]] = "created"
            elif code == TOPIC_ALREADY_EXISTS:
                outcome[topic["name"]] = "exists"
            else:
                refused.append(f"{topic['name']}: {for_code(code).__name__}: {topic.get('error_message') or ''}".rstrip(": "))
        if refused:
            raise TopicError(f"the broker at {bootstrap_servers} refused to create topics: " + "; ".join(refused))
        created = [name for name, what in outcome.items() if what == "created"]
        if created:
            # A producer sending right after CreateTopics could see "unknown topic" for a moment.
            admin.wait_for_topics(created)
        log.info("topics at %s: %s", bootstrap_servers, outcome)
        return outcome
    finally:
        admin.close()
