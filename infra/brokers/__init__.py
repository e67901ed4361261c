"""The Kafka broker the project starts itself, as a child process on loopback.

- :class:`KafkaBroker`: Apache Kafka in KRaft mode (one node) from the Maven Central jars that
  ``infra/kafka/fetch.sh`` puts in ``.cache/kafka/libs``; its log on disk in ``<work_dir>/data``,
  formatted at the first start and kept across restarts.
- :class:`EmbeddedBroker`: the embedded mode's broker (``safeguarding run``, ``up``, ``demo``):
  a ``KafkaBroker`` whose log is ``<data_dir>/kafka``, fetching the jars itself when missing.
- :class:`KafkaCluster`: N ``KafkaBroker`` nodes on loopback forming one KRaft cluster with the
  production replication settings (replication factor 3, ``min.insync.replicas`` 2).

Both are context managers with ``start()``/``stop()`` and ``bootstrap_servers``; see README.md.
"""

from infra.brokers.base import (
    BrokerError,
    BrokerStartError,
    ChildBroker,
    die_with_parent,
    free_port,
    wait_until_ready,
)
from infra.brokers.kafka import (
    KAFKA_VERSION,
    EmbeddedBroker,
    KafkaBroker,
    KafkaCluster,
    default_libs_dir,
    ensure_jars,
)

__all__ = [
    "KAFKA_VERSION",
    "BrokerError",
    "BrokerStartError",
    "ChildBroker",
    "EmbeddedBroker",
    "KafkaBroker",
    "KafkaCluster",
    "default_libs_dir",
    "die_with_parent",
    "ensure_jars",
    "free_port",
    "wait_until_ready",
]
