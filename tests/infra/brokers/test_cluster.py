"""The production topology, as far as one machine allows: three KRaft nodes on loopback with the
settings of ``docker-compose.yml`` (replication factor 3, ``min.insync.replicas`` 2), the worker,
and a partner publishing a random history with the project's ``Publisher`` (idempotent,
``acks=all``).

1. mid-stream, the node leading most of the inbound partitions is SIGKILLed; the partner goes on;
   the node is restarted on its own log while the partner still publishes. Every acknowledged
   event is in ``raw_events`` exactly once, equal to the reference replay, and the worker's
   figures equal the reference calculator's;
2. with two nodes down, a new event's result is ``failed`` within a bounded time, naming the cause:
   never ``sent``.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.brokers import BrokerError, KafkaCluster
from infra.settings import load_settings
from producers.publishing.publisher import DeliveryResult, Publisher
from producers.reference.figures import compute_figures
from producers.reference.history import replay
from producers.simulator.random_scenario import RandomOptions, generate
from tests.conftest import unavailable
from tests.fixtures.brokers import _ensure_kafka_jars
from tests.streams import events as e
from tests.streams.test_pipeline import ANALYST_TOKEN, read_store

pytestmark = [pytest.mark.integration, pytest.mark.slow]

AS_OF = dt.date(2021, 3, 31)
RATE = 150.0  # events a second, the partner's pace
TWO_DOWN_TIMEOUT_S = 15.0  # the partner's delivery timeout once two nodes are down


class Topology:
    def __init__(self, root: Path):
        from infra.stack.run import WorkerProcess
        from infra.topics import ensure_topics

        self.root = root
        self.env = {"CSPR_TOPIC_REPLICATION_FACTOR": "3", "CSPR_ANALYST_TOKEN": ANALYST_TOKEN}
        self.settings = load_settings(topic_replication_factor=3)
        self.cluster = KafkaCluster(3, work_dir=root / "kafka")
        self.worker: Any = None
        try:
            self.cluster.start()
        except BrokerError as exc:
            self.cluster.stop()
            unavailable(f"the three-node Kafka cluster could not start: {exc}")
        try:
            ensure_topics(self.cluster.bootstrap_servers, self.settings)
            self.worker = WorkerProcess(self.cluster.bootstrap_servers, root / "data", root / "worker.log",
                                        env=self.env)
            self.worker.wait_ready(timeout_s=180)
        except BaseException:
            self.stop()  # no broker or worker left running when the set-up fails
            raise

    def describe_inbound(self) -> list[dict[str, Any]]:
        from kafka import KafkaAdminClient

        admin = KafkaAdminClient(bootstrap_servers=self.cluster.bootstrap_servers, client_id="cspr-test")
        try:
            [topic] = admin.describe_topics([self.settings.topic_inbound])
            return topic["partitions"]
        finally:
            admin.close()

    def min_insync_replicas(self, topic: str) -> str:
        from kafka import KafkaAdminClient
        from kafka.admin import ConfigResource, ConfigResourceType

        admin = KafkaAdminClient(bootstrap_servers=self.cluster.bootstrap_servers, client_id="cspr-test")
        try:
            described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)], config_filter="all")
            entry = described["topic"][topic]["min.insync.replicas"]  # {type: {name: {key: {config data}}}}
            return str(entry["value"] if isinstance(entry, dict) else entry)
        finally:
            admin.close()

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
        self.cluster.stop()


@pytest.fixture(scope="module")
def topology(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    _ensure_kafka_jars()
    root = tmp_path_factory.mktemp("cluster")
    t: Topology | None = None
    try:
        t = Topology(root)
        yield t
    finally:
        if t is not None:
            t.stop()


def _paced(lines: list[bytes], rate: float) -> Iterator[bytes]:
    started = time.monotonic()
    for i, line in enumerate(lines):
        time.sleep(max(0.0, started + i / rate - time.monotonic()))
        yield line


def test_a_node_killed_mid_stream_and_restarted_loses_no_acknowledged_event(topology: Topology) -> None:
    started = time.monotonic()
    partitions = topology.describe_inbound()
    assert partitions and all(len(p["replica_nodes"]) == 3 for p in partitions), partitions
    assert topology.min_insync_replicas(topology.settings.topic_inbound) == "2"
    victim = Counter(p["leader_id"] for p in partitions).most_common(1)[0][0]

    lines = list(generate(RandomOptions(cases=600, seed=31, start_year=2020, years=1, duplicate_rate=0.02,
                                        out_of_order_rate=0.05, invalid_rate=0.01)))
    kill_at, restart_at = len(lines) // 4, len(lines) // 2
    acked: list[bytes] = []
    failed: list[tuple[bytes, DeliveryResult]] = []
    invalid = 0
    restarted = False
    with Publisher(topology.cluster.bootstrap_servers, topic=topology.settings.topic_inbound,
                   delivery_timeout_s=60) as partner:
        for i, result in enumerate(partner.publish_many(_paced(lines, RATE))):
            raw = lines[i]
            if result.status == "sent":
                acked.append(raw)
            elif result.status == "invalid":
                invalid += 1
            else:
                failed.append((raw, result))
            if i == kill_at:  # the results lag the sends by the publisher's window: sends are in flight
                topology.cluster.kill_node(victim)
            elif i == restart_at:
                assert not topology.cluster.nodes[victim].running
                topology.cluster.start_node(victim, wait=False)  # the partner goes on while it comes back
                restarted = True
        for raw, _ in failed:  # what was not acknowledged, the partner sends again (at most a few tries)
            for _ in range(5):
                if partner.publish(raw).status == "sent":
                    acked.append(raw)
                    break
                time.sleep(1)
            else:
                pytest.fail(f"not acknowledged after 5 tries with a node down: {raw[:200]!r}")
    assert restarted
    topology.cluster.nodes[victim].wait_ready()

    status = topology.worker.wait_idle(len(acked), timeout_s=300)
    assert status["lag"] and all(v == 0 for v in status["lag"].values()), status
    figures = {
        "period_change": topology.worker.get("/figures/period-change?from=2020-04-01&to=2020-09-30", ANALYST_TOKEN),
        "timeliness": topology.worker.get(f"/figures/timeliness?year=2020&as_of={AS_OF}", ANALYST_TOKEN)["timeliness"],
        "bands": topology.worker.get("/figures/local-authorities?year=2020", ANALYST_TOKEN)["bands"],
    }
    oracle = replay(acked)
    want = compute_figures(acked, 2020, AS_OF)
    topology.worker.stop()  # chDB's folder is one process's: the store is read once the worker is gone
    store = read_store(topology.root / "data")
    rows = Counter((src, eid, seq) for src, eid, seq in store["events"])
    print(f"\ncluster: {len(lines)} events published, {len(acked)} acknowledged, {invalid} invalid (not sent), "
          f"{len(failed)} not acknowledged at first (re-sent), {sum(rows.values())} rows in raw_events, "
          f"{len(oracle.accepted)} accepted by the reference; node {victim} SIGKILLed at event {kill_at}, "
          f"restarted from event {restart_at}; {time.monotonic() - started:.1f} s")
    assert max(rows.values()) == 1, "an event is in raw_events more than once"
    assert set(rows) == {(a.event.source, a.event.id.lower(), a.case_seq) for a in oracle.accepted}
    assert figures["period_change"]["current"] == want["period_change"]["current"]
    assert figures["period_change"]["previous"] == want["period_change"]["previous"]
    assert figures["timeliness"] == want["rapid_review_timeliness"]
    assert figures["bands"] == want["notifications_per_local_authority"]


def test_with_two_nodes_down_the_partner_gets_a_clear_failure_never_an_ack(topology: Topology) -> None:
    assert all(node.running for node in topology.cluster.nodes.values())
    subject = "SIN-2020-900001"
    with Publisher(topology.cluster.bootstrap_servers, topic=topology.settings.topic_inbound,
                   delivery_timeout_s=TWO_DOWN_TIMEOUT_S) as partner:
        assert partner.publish(e.notified(subject)).status == "sent"  # all three up: acknowledged
        survivor = 1
        for node_id in (2, 3):
            topology.cluster.kill_node(node_id)
        assert topology.cluster.nodes[survivor].running
        started = time.monotonic()
        result = partner.publish(e.notified("SIN-2020-900002"))
        took = time.monotonic() - started
        print(f"\ntwo nodes down: {result.status} after {took:.1f} s: {result.describe()}")
        assert result.status == "failed", result.describe()
        assert took < TWO_DOWN_TIMEOUT_S + 10
        assert result.reason in ("timeout", "broker_rejected"), result.describe()
        assert any(cause in (result.detail or "") for cause in ("NotEnoughReplicas", "min.insync.replicas")), (
            result.describe())
