"""Start the stream worker: configure the app, load its agents and views, run until stopped."""

from __future__ import annotations

import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from infra.settings import Settings

log = logging.getLogger(__name__)


def load(settings: Settings, broker: str | None = None, data_dir: Path | None = None,
         web_port: int | None = None, database: str | None = None, schedule_dbt_s: float | None = None,
         partner_tokens: Path | None = None, live_renderer: Any = None) -> Any:
    """Configure the app and import every module that attaches agents, tables, timers or views."""
    from streams.app import configure

    app = configure(settings, broker=broker, web_port=web_port, data_dir=data_dir)
    import streams.cases.agents
    import streams.figures.snapshots
    import streams.figures.views
    import streams.heartbeat  # the stream-lag alert's heartbeat; the alert rules on /status (chDB)
    import streams.partners  # each partner's own inbound topic, held to its authority
    import streams.sink.agents
    import streams.views
    from streams.sink.writer import Writer

    streams.partners.enable(settings)  # the relay agent over the configured partners' topics (CSPR_PARTNERS)
    streams.sink.agents.use_writer(Writer(settings, data_dir, database))
    if schedule_dbt_s:  # `safeguarding up`: dbt and the latest briefing in this process (it owns chDB)
        import streams.schedule

        streams.schedule.enable(settings, schedule_dbt_s, data_dir, database,
                                Path(data_dir or settings.data_dir) / "briefings")
    if live_renderer is not None:  # the live page (/live), drawn by the dashboards' panels
        import streams.live_page

        streams.live_page.use(live_renderer)
        if schedule_dbt_s:
            import streams.schedule

            streams.schedule.after_build.append(streams.live_page.warm)  # the page's default quarter, drawn at once
    if partner_tokens is not None:  # `safeguarding up`: the gateway reads its partners' views here
        import streams.partner_views

        streams.partner_views.enable(settings, partner_tokens, data_dir, database)
    return app


def ensure_changelogs(app: object, settings: Settings, bootstrap: str) -> None:
    """Create the tables' changelog topics (compacted, as many partitions as the inbound topic)
    before the worker starts, and wait until the broker's metadata lists them.

    Left to Faust, they are declared while the worker starts, and a first batch written moments
    later found one missing from the producer's metadata ("not found in cluster metadata"): its
    changelog messages were never sent and nothing was committed again (seen here twice).
    """
    import time

    from kafka import KafkaAdminClient, KafkaConsumer
    from kafka.admin import NewTopic

    from infra.kafka_clients import kafka_python_options
    from streams.cases.agents import TABLE_MESSAGE_MAX

    names = [table.changelog_topic.get_topic_name() for table in app.tables.values()]  # type: ignore[attr-defined]
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="cspr-worker", **kafka_python_options(settings))
    try:
        admin.create_topics([NewTopic(name, settings.topic_partitions, settings.topic_replication_factor,
                                      topic_configs={"cleanup.policy": "compact",
                                                     "max.message.bytes": str(TABLE_MESSAGE_MAX)})
                             for name in names], raise_errors=False)
    finally:
        admin.close()
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, client_id="cspr-worker", **kafka_python_options(settings))
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if all(consumer.partitions_for_topic(name) for name in names):
                return
            time.sleep(0.2)
        log.warning("the broker does not list the changelog topics %s yet; starting anyway", names)
    finally:
        consumer.close()


def ensure_partner_topics(settings: Settings, bootstrap: str, timeout_s: float = 30.0) -> None:
    """Create the configured partners' own topics (``CSPR_PARTNERS``) that the broker lacks, and wait
    until its metadata lists every one, before the worker starts: Faust subscribes to them once,
    at the start, and its assignor ignores a topic its metadata does not list (never read after).

    On the production cluster the worker may not create them (its ACLs let it read them only):
    ``infra/kafka/add-partner.sh`` does. A topic the broker neither has nor lets the worker create
    stops the start with a one-line error naming it.
    """
    import time

    from kafka import KafkaAdminClient, KafkaConsumer

    from infra.kafka_clients import kafka_python_options
    from schemas.errors import CsprError
    from streams.partners import RETENTION_MS, partner_topics

    names = partner_topics(settings)
    if not names:
        return
    options = kafka_python_options(settings)
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, client_id="cspr-worker", **options)
    try:
        missing = [name for name in names if name not in consumer.topics()]
        refused: dict[str, str] = {}
        if missing:
            admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="cspr-worker", **options)
            try:
                answer = admin.create_topics({name: {"num_partitions": settings.topic_partitions,
                                                     "replication_factor": settings.topic_replication_factor,
                                                     "configs": {"retention.ms": str(RETENTION_MS)}}
                                              for name in missing}, raise_errors=False)
            finally:
                admin.close()
            from kafka.errors import TopicAlreadyExistsError, for_code

            for topic in answer["topics"]:
                error = for_code(topic["error_code"])
                if topic["error_code"] and error is not TopicAlreadyExistsError:
                    refused[topic["name"]] = error.__name__
        deadline = time.monotonic() + timeout_s
        unlisted = [name for name in names if name not in refused]
        while unlisted and time.monotonic() < deadline:
            unlisted = [name for name in unlisted if not consumer.partitions_for_topic(name)]
            if unlisted:
                time.sleep(0.2)
                consumer.topics()  # a fresh metadata request
    finally:
        consumer.close()
    problems = [f"{name} (the broker refused to create it: {why})" for name, why in refused.items()]
    problems += [f"{name} (not listed by the broker after {timeout_s:g} s)" for name in unlisted]
    if problems:
        raise CsprError(f"CSPR_PARTNERS: no topic for partner {'; '.join(problems)}: create it with "
                        "infra/kafka/add-partner.sh, or remove the partner from CSPR_PARTNERS")


def drop_stale_tables(app: object, settings: Settings, bootstrap: str) -> None:
    """Delete the local table files that are ahead of the broker's changelogs.

    A table's RocksDB files remember the changelog offset they hold; a broker that lost its
    topics (a new embedded broker, a wiped log) has less, and Faust then refuses to start
    (``ConsistencyError``). The changelogs are the truth: drop that table's local files, and
    Faust recovers it from whatever the changelog holds.
    """
    import shutil

    from kafka import KafkaConsumer, TopicPartition
    from rocksdict import AccessType, Options, Rdict

    from infra.kafka_clients import kafka_python_options

    tabledir = Path(app.conf.tabledir)  # type: ignore[attr-defined]
    if not tabledir.exists():
        return
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, client_id="cspr-worker", **kafka_python_options(settings))
    try:
        for name, table in app.tables.items():  # type: ignore[attr-defined]
            topic = table.changelog_topic.get_topic_name()
            files = sorted(tabledir.glob(f"{name}-*.db"))
            for path in files:
                partition = int(path.name.removesuffix(".db").rsplit("-", 1)[1])
                db = Rdict(str(path), options=Options(raw_mode=True), access_type=AccessType.read_only())
                try:
                    persisted = db.get(b"__faust\0offset__")  # Faust's RocksDB store's offset key
                finally:
                    db.close()
                if persisted is None:
                    continue
                tp = TopicPartition(topic, partition)
                end = consumer.end_offsets([tp]).get(tp, 0) if consumer.partitions_for_topic(topic) else 0
                if int(persisted) >= end:
                    log.warning("table %s is ahead of its changelog %s (offset %s, the broker has %s): "
                                "recovering it from the changelog", name, topic, int(persisted), end)
                    for stale in files:
                        shutil.rmtree(stale, ignore_errors=True)
                    break
    finally:
        consumer.close()


def run_worker(settings: Settings, broker: str | None = None, data_dir: Path | None = None,
               web_port: int | None = None, database: str | None = None, loglevel: str = "warning",
               schedule_dbt_s: float | None = None, partner_tokens: Path | None = None,
               live_renderer: Any = None) -> int:
    """Run the worker in this process until SIGINT/SIGTERM; returns the exit code."""
    import faust

    from streams.app import quiet_loggers

    app = load(settings, broker, data_dir, web_port, database, schedule_dbt_s, partner_tokens, live_renderer)
    from streams.app import bootstrap_of

    ensure_changelogs(app, settings, bootstrap_of(settings, broker))
    ensure_partner_topics(settings, bootstrap_of(settings, broker))
    drop_stale_tables(app, settings, bootstrap_of(settings, broker))

    parent = os.getppid()

    class Worker(faust.Worker):
        def _schedule_shutdown(self, signum: signal.Signals) -> None:
            leave_at_once_if_orphaned(parent)
            abandon_a_build_in_progress()  # before Faust's stop, which would wait for the build's thread
            super()._schedule_shutdown(signum)

    worker = Worker(app, loglevel=loglevel, quiet=True, redirect_stdouts=False, override_logging=False)
    quiet_loggers()
    profile_to = os.environ.get("CSPR_STREAM_PROFILE")  # a cProfile dump of the whole run, for tuning
    profiler = None
    if profile_to:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    code = 0
    try:
        worker.execute_from_commandline()
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(str(profile_to))
    return code


def leave_at_once_if_orphaned(parent: int) -> None:
    """Asked to stop because the process that started this worker died (``safeguarding up``
    killed: its children get SIGTERM through ``die_with_parent``), leave at once, as a crash
    would: whatever killed it may have taken the broker too, and Faust's clean stop then waits on
    the broker's timeouts for a minute or more. Nothing is lost: an offset is committed only after
    its events are stored, so the next start reads again what this worker had not committed."""
    if os.getppid() == parent:
        return
    print(f"worker: the process that started it (pid {parent}) is gone; stopping at once (what was not "
          "committed is read again at the next start)", file=sys.stderr, flush=True)
    logging.shutdown()
    os._exit(0)


def abandon_a_build_in_progress() -> None:
    """Asked to stop (SIGTERM, SIGINT) while a scheduled build runs on the ClickHouse thread:
    Faust's stop would wait for it (the sink's insert queued behind the build holds its events
    in flight), a minute or more. Leave at once instead, as a crash would, which the stream is
    built to survive: an offset is committed only after its events are stored, so the events
    queued behind the build come again from the broker at the next start, once. Everything the
    build wrote is in the vintage's ``__build`` database, which the next build drops; nothing it
    had not swapped in is presented anywhere. Only the swap itself (two renames and the
    catalogue row, under ``vintages.SWAP_LOCK``) is waited for."""
    from infra.warehouse.vintages import SWAP_LOCK
    from streams.sink.agents import sink

    if sink.writer is None or not sink.writer.building:
        return
    if not SWAP_LOCK.acquire(timeout=120):  # a swap takes milliseconds; never seen this long
        log.error("a vintage swap did not finish within 120 s; leaving anyway")
    print("worker: stopped; a figures build in progress was abandoned (the next build starts it again; "
          "the figures built before are unchanged)", file=sys.stderr, flush=True)
    logging.shutdown()
    sys.stdout.flush()
    os._exit(0)
