"""The Faust app: one per worker process, configured from the platform's settings.

The app object exists at import (agents, tables, timers and views attach to it at import, as in
Faust's medium-project layout); ``configure()`` gives it the broker, web port, its data folder
(the tables' RocksDB files) and the tuning measured in docs/architecture.md before the worker
starts. The hot path is the case agent (``streams.cases.agents``) and its tables.
"""

from __future__ import annotations

import asyncio
import logging
import os
import types
from collections.abc import Coroutine
from pathlib import Path
from time import monotonic
from typing import Any

import faust
from faust.sensors import Monitor
from faust.transport.drivers import aiokafka as faust_aiokafka
from mode.services import WaitResults

from infra.kafka_clients import faust_credentials
from infra.settings import Settings, settings

APP_ID = "cspr-stream"  # Faust's consumer group, and the prefix of its tables' changelog topics
FETCH_MAX_WAIT_MS = 10
STOP_WAIT_S = 10.0    # a stop waits this long for the case agent's batch in hand
STOP_GRACE_S = 25.0   # and ends the process after this long whatever it waits for

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


_EVENT_WAIT = asyncio.Event.wait.__code__


class HandOverInPlace:
    """A mixin for Faust's consumer: a cheaper hand-over of each message to the streams.

    Faust's fetcher hands every message to the conductor (which queues it for the agent's stream)
    through ``wait_first(callback(message), suspend_flow.wait())``: four new tasks and an
    ``asyncio.wait`` per message, ~30 µs (measured), so that a rebalance can abandon a hand-over
    that waits (a full queue, flow control, a full producer buffer). A hand-over almost never
    waits: this runs it in place up to its first wait, and only one that does wait goes on in a
    task under Faust's own ``wait_first``, raced against ``suspend_flow`` exactly as before.
    """

    _stopped: Any  # mode.Service's events (the consumer's)
    _crashed: Any

    async def wait_first(self, *coros: Any, timeout: Any = None) -> WaitResults:
        if not _is_hand_over(coros, timeout):
            return await super().wait_first(*coros, timeout=timeout)  # type: ignore[misc]
        hand_over, suspended = coros
        try:
            waits_for = hand_over.send(None)
        except StopIteration as done:  # delivered without waiting
            suspended.close()
            if self._stopped.is_set() or self._crashed.is_set():
                return WaitResults([], [], True)
            return WaitResults([hand_over], [done.value], False)
        except BaseException:
            suspended.close()
            raise
        return await super().wait_first(_go_on(hand_over, waits_for), suspended)  # type: ignore[misc]


class FencedRevocation:
    """A mixin for Faust's consumer: no batch outlives its partitions, and no acknowledgement
    crosses a rebalance.

    Faust's consumer drops its offset bookkeeping of the revoked partitions (what was acked, what
    was committed) *before* its app waits for the streams; the case agent's batch in hand then
    acked into fresh bookkeeping, which the next assignment of the same partition inherited: a
    commit worked out from another generation's acks (seen in a worker's log, two workers under
    load: a partition committed to 925 from the acks of a batch of the previous generation, its
    offsets 925-961 never handled, and its commits stopped there for good: the second worker's
    "lag that never drains"). And events the agent had already taken into its ``take_events``
    buffer before the revocation were handled after it, during the assignment, before the tables
    were recovered (seen: offsets 906-924 handled while the tables' stores were closed and
    reopened, before the recovery and ``live.rebuild()``).

    So a revocation first waits for the batch in hand, without a time bound (its partitions are
    this worker's until it rejoins the group; only a stop is bounded), commits what was acked,
    and fences the generation: every event fetched before it is stale, held back unhandled and
    read again from the committed offset by the partition's next owner (``streams.cases.agents``).
    Only then does Faust drop its bookkeeping.
    """

    app: Any

    async def on_partitions_revoked(self, revoked: Any) -> None:
        app = self.app
        async with app.in_flight:
            app.fenced_generation = app.consumer_generation_id
            if not app.should_stop and self.assignment():  # type: ignore[attr-defined]
                await self.maybe_wait_for_commit_to_finish()  # type: ignore[attr-defined]
                await self.commit()  # type: ignore[attr-defined]
            app.revoking = True
            try:
                self.__dict__.pop("_cspr_next_offsets", None)  # until the next assignment's seek
                self.__dict__.pop("_cspr_sought", None)
                self.__dict__.pop("_cspr_jumps", None)
                await super().on_partitions_revoked(revoked)  # type: ignore[misc]
            finally:
                app.revoking = False


class ExactCommits:
    """A mixin for Faust's consumer: the offset to commit worked out exactly, and where each
    partition's stream starts once the assignment's seek is done (``next_offsets``).

    Faust's ``_new_offset`` takes the first run of consecutive acked offsets, which a duplicate
    breaks (two deliveries of one offset, as a seek back after a rebalance gives: seen, the
    commits then crept one offset per second); it lets a run start one past the committed offset
    (``min(acked) - committed > 1``: one unprocessed message committed past) and skips that check
    when the committed offset is 0 or unknown (``if committed_offset:``). And it infers "gaps"
    (offsets that do not exist) from a jump between the offsets it delivers, the offset after the
    jump included; around a rebalance's seek its read offset is not the consumer's position, and
    a jump there is not a gap but messages the agent never had (seen: a worker's commit on a
    partition jumped from 908 to 987 and the two workers' case tables missed 115 of 9,383
    accepted events).

    Here, for the topics in ``app.exact_topics`` (the inbound topic, which only the platform writes,
    without transactions, so its offsets are contiguous; an offset missing all the same, a marker or
    one deleted by retention, is passed over by ``streams.cases.agents.seek_again``), no gap is
    inferred; the commit runs from the committed offset (from the topic's first offset when
    nothing was committed) through the last offset with every one before it acked, duplicates or
    not. ``next_offsets[tp]`` is the committed offset once the assignment's seek is done (absent
    before: what was fetched before the seek is from the position before the rebalance); the case
    agent takes each partition's events in order from it (``streams.cases.agents.in_order``).
    """

    _acked: Any
    _acked_index: Any
    _committed_offset: Any
    app: Any

    @property
    def next_offsets(self) -> dict[Any, int | None]:
        offsets = self.__dict__.get("_cspr_next_offsets")
        if offsets is None:
            offsets = self.__dict__["_cspr_next_offsets"] = {}
        return offsets

    @property
    def sought(self) -> dict[Any, tuple[int | None, float]]:
        """The offset each partition was last sought to (by the assignment, or after a jump), and when."""
        offsets = self.__dict__.get("_cspr_sought")
        if offsets is None:
            offsets = self.__dict__["_cspr_sought"] = {}
        return offsets

    async def _add_gap(self, tp: Any, offset_from: int, offset_to: int) -> None:
        if tp.topic not in self.app.exact_topics:  # a partner's topic: its writer may use transactions
            await super()._add_gap(tp, offset_from, offset_to)  # type: ignore[misc]

    def _new_offset(self, tp: Any) -> int | None:
        if tp.topic not in self.app.exact_topics:
            return super()._new_offset(tp)  # type: ignore[misc]
        acked = self._acked[tp]
        if not acked:
            return None
        committed = self._committed_offset[tp]
        done = set(acked)
        start = min(done) if committed is None else committed
        done = {offset for offset in done if offset >= start}
        if start not in done:  # the committed offset's message is not handled yet
            acked[:] = sorted(done)
            self._acked_index[tp] = set(done)
            return None
        end = start
        while end + 1 in done:
            end += 1
        rest = sorted(offset for offset in done if offset > end)
        acked[:] = rest
        self._acked_index[tp] = set(rest)
        return end + 1

    @property
    def jumps(self) -> dict[Any, tuple[int, int, int]]:
        """Per partition, the last jump the case agent sought back over: (offset expected, offset
        that came instead, how many seeks in a row found the same)."""
        jumps = self.__dict__.get("_cspr_jumps")
        if jumps is None:
            jumps = self.__dict__["_cspr_jumps"] = {}
        return jumps

    def skip(self, tp: Any, start: int, end: int) -> None:
        """Count offsets ``start`` .. ``end - 1`` as done: the broker has no message there for this
        consumer (see ``streams.cases.agents.in_order``), so the commit may pass them."""
        self._acked[tp].extend(range(start, end))
        self._acked_index[tp].update(range(start, end))

    async def perform_seek(self) -> None:
        await super().perform_seek()  # type: ignore[misc]
        streams = [tp for tp in self.assignment() if tp.topic in self.app.exact_topics]  # type: ignore[attr-defined]
        unknown = [tp for tp in streams if self._committed_offset.get(tp) is None]
        if unknown:  # nothing committed yet (or 0, which Faust reads as nothing): from the first offset
            first = await self.earliest_offsets(*unknown)  # type: ignore[attr-defined]
            for tp in unknown:
                if first.get(tp) is not None:
                    self._committed_offset[tp] = first[tp]
        for tp in streams:
            self.next_offsets[tp] = self._committed_offset.get(tp)
            self.sought[tp] = (self.next_offsets[tp], monotonic())


class _Consumer(FencedRevocation, ExactCommits, HandOverInPlace, faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> _ConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)





def _is_hand_over(coros: tuple[Any, ...], timeout: Any) -> bool:
    """Whether this is the fetcher's ``wait_first(callback(message), suspend_flow.wait())``."""
    return (timeout is None and len(coros) == 2 and isinstance(coros[0], types.CoroutineType)
            and getattr(coros[1], "cr_code", None) is _EVENT_WAIT)


async def _go_on(coro: Coroutine[Any, Any, Any], waits_for: Any) -> Any:
    """Run on a coroutine that has run up to its first wait (``waits_for``: the future it awaits,
    None for a bare yield), as the task it would have had: woken when that future is done, and a
    cancellation of this task cancels that future, which the coroutine sees where it waits."""
    while True:
        resume, arg = coro.send, None
        try:
            if waits_for is None:
                await asyncio.sleep(0)
            else:
                waits_for._asyncio_future_blocking = False
                await asyncio.wait((waits_for,))
        except asyncio.CancelledError as exc:
            if waits_for is None or not waits_for.cancel():
                resume, arg = coro.throw, exc
        try:
            waits_for = resume(arg)
        except StopIteration as done:
            return done.value


class _Transport(faust_aiokafka.Transport):
    Consumer = _Consumer


class LeanMonitor(Monitor):
    """Faust's monitor without its per-message bookkeeping.

    Faust's monitor is always one of the app's sensors, and for every message, stream event,
    table read or write and send it counts by topic, stream and task and times it: counters read
    only by Faust's own ``/stats`` pages, which this worker does not use (its ``/status`` comes
    from ``streams.stats``). It keeps what Faust's consumer reads to warn about a stream that has
    stopped processing (``stream_inbound_time``), the offsets it tracks, and the per-rebalance,
    per-commit and per-assignment figures.
    """

    def on_message_in(self, tp: Any, offset: int, message: Any) -> None:
        pass

    def on_stream_event_in(self, tp: Any, offset: int, stream: Any, event: Any) -> None:
        self.stream_inbound_time[tp] = monotonic()

    def on_stream_event_out(self, tp: Any, offset: int, stream: Any, event: Any, state: Any = None) -> None:
        pass

    def on_message_out(self, tp: Any, offset: int, message: Any) -> None:
        pass

    def on_table_get(self, table: Any, key: Any) -> None:
        pass

    def on_table_set(self, table: Any, key: Any, value: Any) -> None:
        pass

    def on_send_initiated(self, producer: Any, topic: str, message: Any, keysize: int, valsize: int) -> None:
        pass

    def on_send_completed(self, producer: Any, state: Any, metadata: Any) -> None:
        pass


class StreamApp(faust.App):
    """Faust's app, with a short fetch wait and its own wait for the case agent's batch in hand.

    Before partitions are revoked, and before the tables close when the worker stops, Faust waits
    for "every message that started processing to be acked" (``Consumer.wait_empty``). That
    includes messages Faust itself has dropped from the agents' queues, which are never acked: a
    clean stop hung until it was killed (measured). What must finish first is the batch the case
    agent has in hand (its table writes, sends and rows): ``in_flight`` is held for each batch.
    A revocation waits for it without a time bound (``FencedRevocation``); a stop waits at most
    ``STOP_WAIT_S``, then commits what was acked.

    ``fenced_generation``: the consumer generation whose events are stale (fetched before the last
    revocation); the case agent handles an event only if it is of the current generation and that
    generation is not fenced.
    """

    in_flight: asyncio.Lock
    exact_topics: set[str]  # the topics ``ExactCommits`` keeps (the case agent's)
    fenced_generation: int = -1
    revoking: bool = False

    def _new_transport(self) -> Any:
        return _Transport(self.conf.broker_consumer, self)

    def is_current(self, message: Any) -> bool:
        """Whether a message was fetched in the current generation, and no revocation came since."""
        generation = self.consumer_generation_id
        return message.generation_id == generation != self.fenced_generation

    async def _consumer_wait_empty(self, consumer: Any, logger: Any) -> None:
        if self.revoking:  # FencedRevocation waited for the batch in hand and committed already
            return
        try:
            await asyncio.wait_for(self.in_flight.acquire(), STOP_WAIT_S)
        except TimeoutError:  # the batch waits for a broker or warehouse that is away: not acked,
            log.warning("the batch in hand did not finish in %g s; it will be read again", STOP_WAIT_S)
            return            # so not committed, and read again after the restart
        try:
            await consumer.commit()
        finally:
            self.in_flight.release()

    async def on_stop(self) -> None:
        # A stop must end (``safeguarding up`` killed takes its worker with it, and its broker):
        # with the broker gone, the producer's flush and the clients' closing wait for it for
        # ever (measured: a worker outlived its killed stack). Nothing uncommitted is lost by
        # ending the process: it is read again after the restart.
        import threading

        timer = threading.Timer(STOP_GRACE_S, _exit_now)
        timer.daemon = True
        timer.start()
        await super().on_stop()


def _exit_now() -> None:
    log.warning("the worker did not stop within %g s; exiting (what it had not committed is read again)",
                STOP_GRACE_S)
    logging.shutdown()
    os._exit(0)


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
        # The tables live on disk (RocksDB, through rocksdict) in the platform's data folder, with
        # the changelog offset they were written to: a restart reads only the changelog since.
        "store": "rocksdb://",
        "datadir": str(stream_dir(conf, data_dir)),
        # a standby copy of the other workers' tables would double the changelog reading; the
        # local RocksDB files already make a partition's recovery read only what it missed
        "table_standby_replicas": 0,
        "topic_partitions": conf.topic_partitions,
        "topic_replication_factor": conf.topic_replication_factor,
        "topic_allow_declare": True,
        # a dead worker's partitions move to a live one within this
        "broker_session_timeout": 8.0,
        "broker_heartbeat_interval": 1.0,
        "broker_request_timeout": 30.0,
        "broker_rebalance_timeout": 30.0,
        # batching the changelog writes (+37% measured)
        "producer_linger": 0.05,
        # the case agent takes up to BATCH (20,000) messages per batch
        "stream_buffer_maxsize": 32768,
        "broker_max_poll_records": 5000,
        # a figures page (a year's counters of one partition) is one changelog message
        "producer_max_request_size": 16 << 20,
        # a batch's thousands of changelog and outcome messages go in 1 MiB batches per partition:
        # with Faust's 16 KiB, one broker took them ~16 messages per partition per round trip
        "producer_max_batch_size": 1 << 20,
        # see StreamApp: wait for the batch in hand, not for every message Faust tracks
        "stream_wait_empty": False,
        # Faust's own recovery loop waits this long between table recovery checks
        "stream_recovery_delay": 0.0,
        "broker_commit_interval": 1.0,
        "consumer_auto_offset_reset": "earliest",
        "web_port": conf.worker_web_port if web_port is None else web_port,
        "web_bind": "127.0.0.1",
        "web_in_thread": False,
        "autodiscover": False,
        "logging_config": None,
        "Monitor": LeanMonitor,
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
app.in_flight = asyncio.Lock()
app.exact_topics = set()
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
        logging.getLogger().setLevel(logging.INFO)  # (the root logger is at WARNING otherwise)
        return
    for name in ("faust", "aiokafka", "mode", "kafka", "aiohttp.access"):
        logging.getLogger(name).setLevel(logging.WARNING)
