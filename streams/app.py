"""The Faust app: one per worker process, configured from the platform's settings.

The app object exists at import (services, timers and views attach to it at import, as in
Faust's medium-project layout); ``configure()`` gives it the broker, web port and the tuning
measured in docs/architecture.md before the worker starts. The hot path (``streams.cases.agents``)
is a service on plain aiokafka clients, which reads the broker and settings kept in ``runtime``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka

from infra.kafka_clients import faust_credentials
from infra.settings import Settings, settings

APP_ID = "cspr-stream"  # Faust's consumer group; the case stage's is cspr-stream-cases
FETCH_MAX_WAIT_MS = 10

log = logging.getLogger(__name__)


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    """Faust's aiokafka consumer with a short fetch wait.

    Faust hard-codes ``fetch_max_wait_ms=1500``: a fetch on a quiet partition then holds the
    worker's only consumer for 1.5 s, which halves the rate and adds latency (measured). The
    attribute is read when the consumer starts, so setting it on the new consumer is enough.
    """

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS
        return consumer


class _Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> _ConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class _Transport(faust_aiokafka.Transport):
    Consumer = _Consumer


class StreamApp(faust.App):
    def _new_transport(self) -> Any:
        return _Transport(self.conf.broker_consumer, self)


def faust_settings(conf: Settings, broker: str | None = None, web_port: int | None = None,
                   data_dir: Path | None = None) -> dict[str, Any]:
    """The app's configuration: broker and web port from the settings, the measured tuning."""
    servers = broker or conf.kafka_bootstrap_servers
    if servers == "embedded":
        servers = "localhost:9092"
    url = ";".join(f"kafka://{s.strip()}" for s in servers.split(","))
    return {
        "broker": url,
        "broker_credentials": faust_credentials(conf),  # SASL, TLS or none: infra.kafka_clients
        "store": "memory://",
        # Faust creates its data folder (tables, even in memory) when the worker starts; by default
        # `<app id>-data` in the working directory. Keep it in the platform's data folder.
        "datadir": str(stream_dir(conf, data_dir)),
        "topic_partitions": conf.topic_partitions,
        "topic_replication_factor": conf.topic_replication_factor,
        "topic_allow_declare": True,
        # a dead worker's partitions move to a live one within this
        "broker_session_timeout": 8.0,
        "broker_heartbeat_interval": 1.0,
        "broker_request_timeout": 30.0,
        "broker_rebalance_timeout": 30.0,
        "broker_commit_interval": 1.0,
        "consumer_auto_offset_reset": "earliest",
        "web_port": conf.worker_web_port if web_port is None else web_port,
        "web_bind": "127.0.0.1",
        "web_in_thread": False,
        "autodiscover": False,
        "logging_config": None,
    }


def stream_dir(conf: Settings, data_dir: Path | None = None) -> Path:
    """Where the worker's Faust app keeps its local files: ``<data folder>/stream``."""
    return Path(data_dir or conf.data_dir).absolute() / "stream"


class _Runtime:
    """What ``configure()`` was given, for the services that talk to Kafka themselves."""

    settings: Settings | None = None
    bootstrap: str = "localhost:9092"


runtime = _Runtime()


def bootstrap_of(conf: Settings, broker: str | None = None) -> str:
    servers = broker or conf.kafka_bootstrap_servers
    return "localhost:9092" if servers == "embedded" else servers


app = StreamApp(APP_ID, autodiscover=False, origin="streams")
app.config_from_object(faust_settings(settings()))


def configure(conf: Settings | None = None, broker: str | None = None, web_port: int | None = None,
              data_dir: Path | None = None) -> faust.App:
    """Give the app its settings; call once, before the worker starts. Creates its data folder."""
    conf = conf or settings()
    app.config_from_object(faust_settings(conf, broker, web_port, data_dir), force=True)
    stream_dir(conf, data_dir).mkdir(parents=True, exist_ok=True)
    runtime.settings, runtime.bootstrap = conf, bootstrap_of(conf, broker)
    # Declaring topics and tables at import may already have built clients for the default
    # broker: drop them so they are built again from this configuration when first used.
    app._producer = app._producer_transport = app._transport = app._consumer = None
    quiet_loggers()
    return app


def quiet_loggers() -> None:
    # Faust leaves the root logger at DEBUG; its and aiokafka's chatter cost ~13% (measured).
    if os.environ.get("CSPR_STREAM_DEBUG"):  # keep them, to see a recovery or rebalance step by step
        return
    for name in ("faust", "aiokafka", "mode", "kafka", "aiohttp.access"):
        logging.getLogger(name).setLevel(logging.WARNING)
