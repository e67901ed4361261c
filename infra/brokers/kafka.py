"""Apache Kafka in KRaft mode (one combined broker + controller) from Maven Central jars.

``bash infra/kafka/fetch.sh`` puts the jars in ``.cache/kafka/libs`` (``ensure_jars()`` runs it
when they are missing, as ``up``, ``run`` and ``demo`` do). The broker's log (its data) lives in
``<work_dir>/data``: the first start formats it with ``kafka.tools.StorageTool``; every later
start runs on the log it finds, so a restart keeps every acknowledged message and every committed
offset. ``kafka.Kafka`` runs with a generated ``server.properties``: a client listener and a
controller listener on two loopback ports (free ones at the first start, the same ones at every
restart of the same object), single-replica internal topics, a 512 MiB heap, no group join delay.

``KafkaCluster`` runs several such nodes on loopback as one KRaft cluster with the production
settings of ``docker-compose.yml`` (replication factor 3, ``min.insync.replicas`` 2), for tests of
the production topology: each node restarts on its own log after a SIGKILL.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from infra.brokers.base import BrokerStartError, ChildBroker, free_port

KAFKA_VERSION = "3.9.1"  # keep in step with infra/kafka/pom.xml and docker-compose.yml

_REPO_ROOT = Path(__file__).resolve().parents[2]

_LOG4J = """\
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
"""


def default_libs_dir() -> Path:
    return Path(os.environ["CSPR_KAFKA_LIBS"]) if os.environ.get("CSPR_KAFKA_LIBS") else (
        _REPO_ROOT / ".cache" / "kafka" / "libs")


def have_jars(libs_dir: Path | None = None) -> bool:
    return any((libs_dir or default_libs_dir()).glob("kafka_2.13-*.jar"))


def ensure_jars(libs_dir: Path | None = None, timeout_s: float = 900.0) -> Path:
    """The Kafka jars' folder, fetched with ``infra/kafka/fetch.sh`` first if they are missing.

    Raises ``BrokerStartError`` with the script's own message (which names a missing Java or
    Maven) when they cannot be fetched.
    """
    libs = libs_dir or default_libs_dir()
    if have_jars(libs):
        return libs
    script = _REPO_ROOT / "infra" / "kafka" / "fetch.sh"
    if libs != _REPO_ROOT / ".cache" / "kafka" / "libs" or not script.is_file():
        raise BrokerStartError(f"no Apache Kafka jars in {libs}: run `bash infra/kafka/fetch.sh` (needs Java 17 and Maven)")
    try:
        done = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        raise BrokerStartError(f"fetching Apache Kafka's jars ({script}) took more than {timeout_s:g} s") from exc
    if done.returncode != 0 or not have_jars(libs):
        said = (done.stderr or done.stdout).strip().splitlines()
        raise BrokerStartError("the embedded broker's jars (Apache Kafka) are missing and could not be fetched: "
                               + (said[-1] if said else f"{script} exited {done.returncode}"))
    return libs


def kafka_cluster_id() -> str:
    """A Kafka cluster id: 16 random bytes, URL-safe base64 without padding (as StorageTool makes)."""
    while True:  # never one starting with '-': the StorageTool would read it as an option (as Kafka's Uuid does)
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


class KafkaBroker(ChildBroker):
    """One Apache Kafka node (broker + KRaft controller) on ``127.0.0.1:<free port>``.

    ``libs_dir`` defaults to ``.cache/kafka/libs`` in the repository; ``java`` must be Java 17+.
    ``broker_config`` adds or overrides ``server.properties`` entries.
    """

    name = "kafka"
    default_start_timeout_s = 90.0  # a cold JVM on two busy cores

    def __init__(self, *, libs_dir: Path | str | None = None, java: str = "java", heap: str = "512m",
                 broker_config: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.libs_dir = Path(libs_dir) if libs_dir else default_libs_dir()
        self.java = java
        self.heap = heap
        self.broker_config = dict(broker_config or {})
        self.controller_port: int | None = None
        self.cluster_id: str | None = None  # formatted with a new random one unless set (a cluster's nodes share one)

    def _reset_ports(self) -> None:
        self.controller_port = None

    def _java(self) -> str:
        found = shutil.which(self.java)
        if not found:
            raise BrokerStartError(f"Apache Kafka needs Java 17+ ('{self.java}' not found): apt-get install openjdk-17-jre-headless")
        return found

    def _classpath(self) -> str:
        if not any(self.libs_dir.glob("kafka_2.13-*.jar")):
            raise BrokerStartError(
                f"no Kafka jars in {self.libs_dir}: run `bash infra/kafka/fetch.sh` (needs Java 17 and Maven) first"
            )
        return str(self.libs_dir / "*")

    def _jvm(self) -> list[str]:
        assert self.work_dir is not None
        return [
            self._java(), f"-Xmx{self.heap}", "-Xms128m", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
            "-Djava.awt.headless=true",
            f"-Dlog4j.configuration=file:{self.work_dir / 'log4j.properties'}",
            f"-Dkafka.logs.dir={self.work_dir}",
            "-cp", self._classpath(),
        ]

    def server_properties(self) -> dict[str, str]:
        assert self.work_dir is not None and self.port is not None
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{self.controller_port}",
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.work_dir / "data"),
            "num.partitions": "1",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "4",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "transaction.state.log.num.partitions": "4",
            "min.insync.replicas": "1",
            "group.initial.rebalance.delay.ms": "0",
            "message.max.bytes": str(1024 * 1024),
            "num.network.threads": "2",
            "num.io.threads": "2",
            "log.flush.interval.messages": str(2**62),
        }
        props.update(self.broker_config)
        return props

    @property
    def data_dir(self) -> Path:
        assert self.work_dir is not None
        return self.work_dir / "data"

    @property
    def formatted(self) -> bool:
        """Whether the log folder holds a formatted KRaft log (then it is never formatted again)."""
        return self.work_dir is not None and (self.data_dir / "meta.properties").is_file()

    def _prepare(self) -> None:
        assert self.work_dir is not None
        if self.controller_port is None:
            self.controller_port = free_port()
        config = self.work_dir / "server.properties"
        config.write_text("".join(f"{k}={v}\n" for k, v in self.server_properties().items()))
        (self.work_dir / "log4j.properties").write_text(_LOG4J)
        if self.formatted:
            return  # restart on the log as it is: every acknowledged message and committed offset
        command = [*self._jvm(), "kafka.tools.StorageTool", "format", "--ignore-formatted",
                   "-t", self.cluster_id or kafka_cluster_id(), "-c", str(config)]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=self.work_dir)
        except subprocess.TimeoutExpired as exc:
            raise BrokerStartError("Kafka's StorageTool did not finish formatting within 120 s") from exc
        if done.returncode != 0:
            output = "\n".join("  " + line for line in (done.stdout + done.stderr).splitlines()[-20:])
            raise BrokerStartError(f"Kafka's StorageTool could not format {self.data_dir}:\n{output}")

    def _command(self) -> Sequence[str]:
        assert self.work_dir is not None
        return [*self._jvm(), "kafka.Kafka", str(self.work_dir / "server.properties")]


# The production cluster's settings (infra/kafka/docker/entrypoint.sh, docker-compose.yml): every
# partition on all three nodes, a write acknowledged by two, so one node can be lost without losing
# an acknowledged event (producers use acks=all) and with two lost no write is acknowledged.
CLUSTER_CONFIG = {
    "num.partitions": "4",
    "default.replication.factor": "3",
    "min.insync.replicas": "2",
    "offsets.topic.replication.factor": "3",
    "transaction.state.log.replication.factor": "3",
    "transaction.state.log.min.isr": "2",
    "auto.create.topics.enable": "false",
    "unclean.leader.election.enable": "false",
}


class KafkaCluster:
    """``nodes`` Apache Kafka nodes on loopback, each a combined broker + KRaft controller (as in
    ``docker-compose.yml``, without SASL/ACLs): one cluster id, ``controller.quorum.voters``
    listing every node, each node's log in ``<work_dir>/node-<id>/data``, the production
    replication settings (``CLUSTER_CONFIG``). Ports are chosen once, so a node stopped or
    SIGKILLed restarts with ``start_node(id)`` on its own log and its own ports.

    A controller quorum needs a majority, so the nodes start together and ``start()`` waits until
    each serves metadata.
    """

    def __init__(self, nodes: int = 3, *, work_dir: Path | str, heap: str = "256m",
                 broker_config: dict[str, str] | None = None, **kwargs: Any) -> None:
        if nodes < 1:
            raise ValueError(f"a cluster needs at least one node (got {nodes})")
        self.work_dir = Path(work_dir)
        ids = range(1, nodes + 1)
        controller_ports = {i: free_port() for i in ids}
        voters = ",".join(f"{i}@127.0.0.1:{controller_ports[i]}" for i in ids)
        cluster_id = kafka_cluster_id()
        config = {**CLUSTER_CONFIG, **(broker_config or {})}
        kwargs.setdefault("start_timeout_s", 180.0)  # from its own start: the later nodes format first
        self.nodes: dict[int, KafkaBroker] = {}
        for i in ids:
            node = KafkaBroker(work_dir=self.work_dir / f"node-{i}", port=free_port(), heap=heap,
                               broker_config={**config, "node.id": str(i), "controller.quorum.voters": voters},
                               **kwargs)
            node.controller_port = controller_ports[i]
            node.cluster_id = cluster_id
            self.nodes[i] = node

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(node.bootstrap_servers for node in self.nodes.values())

    def start(self) -> KafkaCluster:
        """Start every node that is not running and wait until each serves clients.

        The processes are started from this thread (a child gets SIGTERM when the thread that
        started it ends, see ``die_with_parent``); only the waits run in threads, together, since
        no node is ready before a majority of controllers runs. Raises the first node's
        ``BrokerStartError`` (after stopping every node) if one does not come up.
        """
        try:
            starting = [node.start(wait=False) for node in self.nodes.values() if not node.running]
        except BaseException:
            self.stop()
            raise
        errors: list[BaseException] = []

        def wait(node: ChildBroker) -> None:
            try:
                node.wait_ready()
            except BaseException as exc:  # reported below, in the calling thread
                errors.append(exc)

        threads = [threading.Thread(target=wait, args=(node,), daemon=True) for node in starting]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            self.stop()
            raise errors[0]
        return self

    def start_node(self, node_id: int, wait: bool = True) -> KafkaBroker:
        """(Re)start one node on its own log and ports (the others must hold a quorum for it to
        become ready); ``wait=False`` returns once it runs: call its ``wait_ready()`` later."""
        node = self.nodes[node_id]
        node.stop()  # reaps a SIGKILLed process and closes its log file
        node.start(wait=wait)
        return node

    def kill_node(self, node_id: int) -> None:
        """SIGKILL one node: no clean shutdown, nothing flushed."""
        node = self.nodes[node_id]
        if node.process is not None and node.process.poll() is None:
            node.process.kill()
            node.process.wait(30)

    def stop(self) -> None:
        """Stop every node (SIGTERM, then SIGKILL); idempotent."""
        for node in self.nodes.values():
            node.stop()

    def __enter__(self) -> KafkaCluster:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


class EmbeddedBroker(KafkaBroker):
    """The embedded mode's broker: one Kafka node whose log is ``<data_dir>/kafka/data`` (its
    output in ``<data_dir>/kafka/kafka.log``), restarted on that log by every ``up`` or ``run``
    on the folder. The jars are fetched first if they are missing."""

    def __init__(self, data_dir: Path | str, **kwargs: Any) -> None:
        kwargs.setdefault("broker_config", EMBEDDED_CONFIG)
        super().__init__(work_dir=Path(data_dir) / "kafka", **kwargs)

    def _prepare(self) -> None:
        ensure_jars(self.libs_dir)
        super()._prepare()


# Messages up to 8 MiB reach the worker (which dead-letters anything above the contract's 256 KiB)
# rather than being refused at the broker; the dead-letter and changelog topics take them too.
EMBEDDED_CONFIG = {"message.max.bytes": str(8 << 20), "replica.fetch.max.bytes": str(8 << 20)}
