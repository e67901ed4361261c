"""HTTP gateway throughput beside the Kafka producer's, in one run on one Apache Kafka broker.

- Kafka: ``Publisher.publish_many`` (validate, idempotent, acks=all) straight to the broker;
- HTTP: batched-mode requests (``application/cloudevents-batch+json``, 1,000 events each) to the
  gateway on a real uvicorn server on loopback, each answered once the broker has its events,
  from 1 client and from 4 concurrent clients (each its own partner).

Prints accepted events/s for each. The gateway decodes each batch, re-encodes and validates each
event, checks its source against the token, then publishes through the same Publisher.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

EVENTS = 20_000
BATCH = 1000
CLIENTS = 4


def main() -> None:
    import tempfile
    from pathlib import Path

    import requests

    from infra.brokers import KafkaBroker
    from infra.settings import load_settings
    from infra.topics import ensure_topics
    from producers.gateway.credentials import Credentials, add_token
    from producers.gateway.server import Running, build
    from producers.publishing import Publisher
    from tests.producers.publishing.events import history

    lines = history(EVENTS)
    by_source: dict[str, list[bytes]] = {}
    for raw in lines:
        by_source.setdefault(json.loads(raw)["source"], []).append(raw)
    conf = load_settings()
    with tempfile.TemporaryDirectory() as tmp, KafkaBroker(work_dir=Path(tmp)) as broker:
        ensure_topics(broker.bootstrap_servers, conf)
        with Publisher.from_settings(conf, bootstrap_servers=broker.bootstrap_servers) as publisher:
            list(publisher.publish_many(lines[:2000]))  # warm up
            started = time.perf_counter()
            sent = sum(1 for r in publisher.publish_many(lines) if r.status == "sent")
            kafka_rate = sent / (time.perf_counter() - started)
        assert sent == EVENTS

        tokens = {source: add_token(Path(tmp) / "tokens", source)[1] for source in by_source}
        gateway = Running.start(build(conf, bootstrap_servers=broker.bootstrap_servers,
                                      credentials=Credentials(Path(tmp) / "tokens"), views=False))
        # the benchmark measures throughput, not the per-partner limit
        gateway.gateway.limiter.rate = gateway.gateway.limiter.burst = 1e12
        try:
            batches = [(source, group[i:i + BATCH]) for source, group in by_source.items()
                       for i in range(0, len(group), BATCH)]

            def post(work: list[tuple[str, list[bytes]]]) -> int:
                http = requests.Session()
                accepted = 0
                for source, batch in work:
                    resp = http.post(f"{gateway.url}/events", data=b"[" + b",".join(batch) + b"]", timeout=120,
                                     headers={"Content-Type": "application/cloudevents-batch+json",
                                              "Authorization": f"Bearer {tokens[source]}"})
                    assert resp.status_code == 200, resp.text[:300]
                    accepted += resp.json()["accepted"]
                return accepted

            post(batches[:2])  # warm up
            rates = {}
            for clients in (1, CLIENTS):
                started = time.perf_counter()
                with ThreadPoolExecutor(clients) as pool:
                    accepted = sum(pool.map(post, [batches[i::clients] for i in range(clients)]))
                rates[clients] = accepted / (time.perf_counter() - started)
                assert accepted == EVENTS, f"only {accepted} of {EVENTS} accepted"
        finally:
            gateway.stop()
    print(f"events: {EVENTS:,} small incident events from {len(by_source)} authorities; acks=all, idempotent")
    print(f"Kafka producer (Publisher.publish_many): {kafka_rate:,.0f} events/s")
    for clients, rate in rates.items():
        print(f"HTTP gateway, batched mode ({BATCH:,} events per request), {clients} client(s): "
              f"{rate:,.0f} accepted events/s ({rate / kafka_rate:.0%} of the Kafka producer)")


if __name__ == "__main__":
    main()
