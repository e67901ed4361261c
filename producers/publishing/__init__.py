"""The partner publishing SDK: validate events against contract v1 and publish them to Kafka.

>>> from producers.publishing import Publisher
>>> with Publisher("broker:9092") as publisher:
...     for result in publisher.publish_many(open("events.jsonl", "rb")):
...         if not result.ok:
...             print(result.describe())

Child references: :func:`producers.publishing.child_refs.child_ref`.
"""

from producers.publishing.child_refs import ChildRefError, child_ref, child_ref_from_settings
from producers.publishing.publisher import (
    BrokerUnavailable,
    DeliveryFailed,
    DeliveryResult,
    InvalidEvent,
    MessageTooLarge,
    Publisher,
    PublisherConfigError,
    PublishError,
)

__all__ = [
    "BrokerUnavailable",
    "ChildRefError",
    "DeliveryFailed",
    "DeliveryResult",
    "InvalidEvent",
    "MessageTooLarge",
    "PublishError",
    "Publisher",
    "PublisherConfigError",
    "child_ref",
    "child_ref_from_settings",
]
