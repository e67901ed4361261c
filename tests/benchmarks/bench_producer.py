"""SDK producer throughput: ``Publisher.publish_many`` (validate + idempotent, acks=all) to the embedded Kafka.

Prints events/s for a fixed number of small incident.notified events, with the ``crc32c``
package in use (kafka-python computes CRC32C in pure Python without it: ~3x slower), and
the rate of validation alone for comparison. Target: >= 20,000 events/s on 2 cores.
"""

from __future__ import annotations

import tempfile
import time

EVENTS = 50_000
ROUNDS = 3  # the machine is shared: print every round and the best
TARGET = 20_000


def main() -> None:
    from kafka.record import util as record_util

    from infra.brokers import EmbeddedBroker
    from infra.settings import load_settings
    from infra.topics import ensure_topics
    from producers.publishing import Publisher
    from schemas import parse_event
    from tests.producers.publishing.events import history

    crc_impl = "the crc32c package (C)" if record_util.crc32c_c is not None else "pure Python (install crc32c!)"
    lines = history(EVENTS)
    size = sum(map(len, lines)) / len(lines)

    started = time.perf_counter()
    for raw in lines:
        parse_event(raw)
    validate_rate = EVENTS / (time.perf_counter() - started)

    with tempfile.TemporaryDirectory() as tmp, EmbeddedBroker(tmp) as broker:
        ensure_topics(broker.bootstrap_servers, load_settings())
        with Publisher(broker.bootstrap_servers) as publisher:
            list(publisher.publish_many(lines[:2000]))  # warm up: connections, producer id, metadata
            rates = []
            for _ in range(ROUNDS):
                started = time.perf_counter()
                sent = sum(1 for r in publisher.publish_many(lines) if r.status == "sent")
                elapsed = time.perf_counter() - started
                assert sent == EVENTS, f"only {sent} of {EVENTS} sent"
                rates.append(sent / elapsed)
            idempotent, codec = publisher.idempotent, publisher.compression
    rate = max(rates)
    print(f"events: {EVENTS:,} of ~{size:.0f} bytes; CRC32C by {crc_impl}; compression {codec}; "
          f"idempotent {idempotent}; acks=all")
    print(f"validation alone (parse_event): {validate_rate:,.0f} events/s")
    print("Publisher.publish_many to the embedded Kafka, per round: " + ", ".join(f"{r:,.0f}" for r in rates) + " events/s")
    print(f"Publisher.publish_many to the embedded Kafka, best: {rate:,.0f} events/s"
          f" [target >= {TARGET:,}: {'met' if rate >= TARGET else 'NOT met'}]")


if __name__ == "__main__":
    main()
