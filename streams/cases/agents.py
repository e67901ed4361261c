"""The validation and case stage: cspr.events.inbound -> case table, ClickHouse, cspr.events / .dlq.

One stage on the hot path, on plain aiokafka clients run as a service of the Faust app (which
keeps the web views, the timers and the worker's life cycle). Per batch of up to ``BATCH``
inbound messages:

1. the pure projection (``streams.cases.history``) folds each message into its case;
2. each changed case is written once to the case changelog topic (compacted, one partition per
   inbound partition, key = subject), and its change to the live figures applied;
3. accepted events are sent to ``cspr.events`` with their ``case_seq``, rejects to
   ``cspr.events.dlq`` with their reason, for downstream consumers;
4. accepted events are written to raw_events and rejects to dead_letters (``streams.sink``);
5. once the producer has every message of 2-3 in Kafka and ClickHouse has the rows of 4, the
   batch's inbound offsets are committed.

Why not Faust agents and a Faust table: Faust's own work per consumed message, plus one
changelog message through its table machinery per case write, plus a second stage reading
``cspr.events`` back for the sink, capped the worker at ~2,300 events/s end to end (measured);
a bare consumer validates ~100,000/s. See ``tests/benchmarks/bench_stream.py``.

Crash safety: nothing is committed before its effects are stored (5). After a crash the cases
are recovered from the changelog (which may already hold the effects of batches whose offsets
were not committed), and those messages are read again: the projection recognises a message
seen at the same position and sends and stores its outcomes again (the raw store and the dead
letters are idempotent), so nothing is lost and nothing is counted twice.

Partitions: cases are recovered from the changelog partitions of the inbound partitions this
worker is assigned (before any of their messages is processed), and dropped when revoked.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import json
import logging
import os
from dataclasses import dataclass
from typing import Any

from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import CommitFailedError, IllegalStateError
from mode import Service

from infra.kafka_clients import aiokafka_options
from infra.settings import Settings
from streams import stats
from streams.app import APP_ID, app, runtime
from streams.cases.history import ACCEPTED, DUPLICATE, HELD, REJECTED, CaseProjection, Origin, Output
from streams.cases.models import BatchCases
from streams.figures.book import FigureBook
from streams.sink.agents import store

log = logging.getLogger(__name__)
BATCH = 5000            # messages per batch: a chDB insert costs ~35 ms whatever its size (measured)
FETCH_WAIT_MS = 10      # a fetch on a quiet partition returns after this long
POLL_MS = 100           # how long one poll waits for messages
GATHER_MS = 20          # one poll while a batch is gathered
BATCH_SECONDS = 0.25    # a batch is gathered for at most this long (unless full or caught up)
GC_THRESHOLD = 50_000   # allocations between young-generation collections (default 700)
BACKOFF_FIRST_S, BACKOFF_MAX_S = 0.5, 10.0  # between attempts while the broker is away
PROBE_S = 2.0           # how often /status learns whether the broker answers
DLQ_VALUE_MAX = 512 << 10  # bytes of a dead letter's value on the DLQ topic (the whole is in the warehouse)
GROUP = f"{APP_ID}-cases"
CHANGELOG = f"{APP_ID}-cases-changelog"


class Projection:
    """The worker's live projection: the case states, the figures derived from them, the latest event time."""

    def __init__(self) -> None:
        self.states: dict[str, dict[str, Any]] = {}  # subject -> case state (JSON-able)
        self.book = FigureBook()
        self.cache = BatchCases(self.states)
        self.projection = CaseProjection(self.cache)

    def rebuild(self) -> None:
        """Derive the figures and the latest event time from the (recovered) case states."""
        states = list(self.states.values())
        self.book = FigureBook.from_cases(states)
        self.projection = CaseProjection(self.cache)
        self.projection.rebuild(states)
        log.info("projection rebuilt from %d cases", len(states))

    def values(self) -> list[dict[str, Any]]:
        return list(self.states.values())


live = Projection()


def case_states() -> list[dict[str, Any]]:
    """Every case state this worker holds (for the views)."""
    return live.values()


@dataclass(frozen=True, slots=True)
class Message:
    """One message for the producer."""

    topic: str
    value: bytes
    key: bytes | None
    partition: int | None
    headers: list[tuple[str, bytes]] | None = None


class CaseStream(Service):
    """The consumer loop of the inbound topic (see the module's docstring)."""

    def __init__(self, *args: Any, conf: Settings | None = None, bootstrap: str | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.conf = conf
        self.bootstrap = bootstrap
        self.consumer: Any = None
        self.producer: Any = None
        self.committed: dict[Any, int] = {}   # inbound TopicPartition -> committed offset
        self.assigned: set[Any] = set()
        self.positions: dict[Any, int] = {}   # inbound TopicPartition -> next offset to take
        self._lock = asyncio.Lock()           # a batch and a rebalance never interleave
        self._pending: asyncio.Future[None] | None = None  # the batch being stored and committed
        self.uncommitted: dict[Any, int] = {}  # stored, but the commit failed: retried

    # --- life cycle -----------------------------------------------------------------------
    async def on_start(self) -> None:
        from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

        # Each event allocates hundreds of short-lived objects while every case state stays for
        # good: with the default thresholds the collector keeps re-scanning the states.
        gc.set_threshold(GC_THRESHOLD, 20, 100)
        conf = self.conf = self.conf or runtime.settings
        assert conf is not None, "streams.app.configure() runs before the worker starts"
        bootstrap = self.bootstrap = self.bootstrap or runtime.bootstrap
        security = aiokafka_options(conf)
        # idempotent, acks=all: a retried send is written once; the outputs are still
        # at-least-once across a crash, and every consumer of them is idempotent by (source, id)
        self.producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
                                         linger_ms=5, max_batch_size=1 << 20, max_request_size=8 << 20,
                                         request_timeout_ms=30_000, **security)
        await self.producer.start()
        partitions = await self.producer.partitions_for(conf.topic_inbound)
        await self._ensure_changelog(len(partitions), security)
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=GROUP, enable_auto_commit=False,
            auto_offset_reset="earliest", fetch_max_wait_ms=FETCH_WAIT_MS, max_partition_fetch_bytes=8 << 20,
            fetch_max_bytes=64 << 20, max_poll_records=BATCH,
            session_timeout_ms=8000, heartbeat_interval_ms=1000, rebalance_timeout_ms=30_000,
            request_timeout_ms=40_000, **security)
        await self.consumer.start()
        self.consumer.subscribe([conf.topic_inbound], listener=_Listener(self))

    async def on_stop(self) -> None:
        # mode runs this before it cancels the consume loop: wait for the batch in hand, let it be
        # stored and committed, then stop the clients (the loop then ends without another batch)
        async with self._lock:
            try:
                await self.settle()
            except Exception as exc:  # already reported by on_fatal; stop anyway
                log.warning("the last batch was not committed: %s", exc)
            if self.consumer is not None:
                await self.consumer.stop()
            if self.producer is not None:
                await self.producer.stop()

    async def _ensure_changelog(self, partitions: int, security: dict[str, Any]) -> None:
        from aiokafka.admin import AIOKafkaAdminClient, NewTopic
        from aiokafka.errors import TopicAlreadyExistsError

        assert self.conf is not None
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, **security)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(CHANGELOG, partitions, self.conf.topic_replication_factor,
                                                topic_configs={"cleanup.policy": "compact",
                                                               "max.message.bytes": str(8 << 20)})])
        except TopicAlreadyExistsError:
            pass
        finally:
            await admin.close()

    @Service.task
    async def _consume(self) -> None:
        from aiokafka.errors import KafkaError

        wait = BACKOFF_FIRST_S
        try:
            while not self.should_stop:
                try:
                    records = await self.take()
                except KafkaError as exc:  # the broker is away: wait for it, however long
                    stats.waiting["kafka fetch"] = f"{type(exc).__name__}: {exc}"
                    log.warning("cannot read %s (%s: %s); retrying in %.1f s", self.conf.topic_inbound if self.conf
                                else "the inbound topic", type(exc).__name__, exc, wait)
                    await asyncio.sleep(wait)
                    wait = min(wait * 2, BACKOFF_MAX_S)
                    continue
                wait = BACKOFF_FIRST_S
                stats.waiting.pop("kafka fetch", None)
                async with self._lock:
                    if self.should_stop:
                        break
                    if records:
                        await self.process(records)
                    elif self._pending is not None and self._pending.done():
                        await self.settle()
                    elif self._pending is None and self.uncommitted:  # quiet: commit what failed to
                        await self._commit(dict(self.uncommitted), 0)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if self.should_stop:  # the clients were stopped under it: nothing more is committed
                log.info("the case stage stopped while %s", exc)
                return
            self.on_fatal(exc)
            raise

    @Service.timer(PROBE_S)
    async def _probe_broker(self) -> None:
        """Whether the broker answers a metadata request, for /status: an idle worker's consumer
        retries quietly, so without this an outage would not show until a batch waits for it."""
        if self.producer is None:
            return
        try:
            await asyncio.wait_for(self.producer.client.fetch_all_metadata(), PROBE_S * 2)
        except Exception as exc:  # KafkaError, a timeout: the broker is away
            since = stats.waiting.get("kafka broker", "").split(" since ")[-1].rstrip(")") or \
                dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            stats.waiting["kafka broker"] = (f"{self.bootstrap} does not answer ({type(exc).__name__}; "
                                             f"since {since})")
            return
        stats.waiting.pop("kafka broker", None)

    def on_fatal(self, exc: Exception) -> None:
        """A batch could not be stored or sent: nothing of it was committed."""
        log.critical("the case stage stopped: %s: %s (nothing after the last commit was committed)",
                     type(exc).__name__, exc)

    async def take(self) -> dict[Any, list[Any]]:
        """Up to ``BATCH`` messages: what has arrived, plus more while it keeps coming quickly.

        A poll returns what the fetcher holds (often a few dozen messages); a batch's fixed costs
        (an insert, a flush, a commit) want thousands, so keep polling until the batch is full,
        ``BATCH_SECONDS`` have passed, or every partition is read to its end (caught up).
        """
        records: dict[Any, list[Any]] = await self.consumer.getmany(timeout_ms=POLL_MS, max_records=BATCH)
        n = sum(len(v) for v in records.values())
        if not n:
            return records
        loop = asyncio.get_running_loop()
        deadline = loop.time() + BATCH_SECONDS
        self._note_positions(records)
        while n < BATCH and loop.time() < deadline and not self._caught_up():
            more = await self.consumer.getmany(timeout_ms=GATHER_MS, max_records=BATCH - n)
            self._note_positions(more)
            for tp, messages in more.items():
                records.setdefault(tp, []).extend(messages)
                n += len(messages)
        return records

    def _note_positions(self, records: dict[Any, list[Any]]) -> None:
        for tp, messages in records.items():
            if messages:
                self.positions[tp] = messages[-1].offset + 1

    def _caught_up(self) -> bool:
        """Whether every assigned partition has been read to its end as last fetched (then a batch
        goes now, not after ``BATCH_SECONDS``: a quiet stream keeps its latency low)."""
        for tp in self.assigned:
            high = self.consumer.highwater(tp)
            if high is None or self.positions.get(tp, self.committed.get(tp, 0)) < high:
                return False
        return True

    # --- one batch ------------------------------------------------------------------------
    async def process(self, records: dict[Any, list[Any]]) -> None:
        outputs: list[Output] = []
        ends: dict[Any, int] = {}
        n = 0
        for tp, messages in records.items():
            if tp not in self.assigned:  # revoked while fetched: its next owner reads it
                continue
            for m in messages:
                outputs += live.projection.process(m.value or b"", Origin(tp.topic, tp.partition, m.offset))
            ends[tp] = messages[-1].offset + 1
            n += len(messages)
        if not ends:
            return
        touched = live.projection.take_touched()
        live.cache.flush(touched, live.book)
        messages = [Message(CHANGELOG, json.dumps(live.states[s], separators=(",", ":")).encode(), s.encode(),
                            live.states[s]["partition"]) for s in touched]
        messages += [m for out in outputs if (m := self._message(out)) is not None]
        stats.count("consumed", n)
        # Store and commit this batch while the next one is read and folded; batches are
        # committed in order, each only after its own rows and messages are stored.
        await self.settle()
        self._pending = asyncio.ensure_future(self._finish(outputs, messages, ends, n))

    async def settle(self) -> None:
        """Wait until the batch being stored is committed (raises what storing it raised)."""
        pending, self._pending = self._pending, None
        if pending is not None:
            await pending

    async def _finish(self, outputs: list[Output], messages: list[Message], commit: dict[Any, int],
                      n: int) -> None:
        # the warehouse and Kafka, both before the commit; each waits for as long as its service is
        # away (an outage of any length), saying so on /status
        await asyncio.gather(store(outputs), self._deliver(messages))
        await self._commit(commit, n)

    async def _deliver(self, messages: list[Message]) -> None:
        """Send every message and wait until Kafka has acknowledged each (acks=all); what it did not
        take is sent again after a pause, for as long as the broker is away."""
        from aiokafka.errors import KafkaError

        wait = BACKOFF_FIRST_S
        todo = messages
        while todo:
            futures: list[Any] = []
            failed: list[Message] = []
            error: BaseException | None = None
            for i, m in enumerate(todo):
                try:
                    futures.append(await self.producer.send(m.topic, m.value, m.key, partition=m.partition,
                                                            headers=m.headers))
                except KafkaError as exc:  # no metadata for the topic (the broker is away): later
                    failed, error = todo[i:], exc
                    break
            for m, f in zip(todo, futures, strict=False):
                try:
                    await f
                except KafkaError as exc:
                    failed.append(m)
                    error = exc
            if not failed:
                break
            stats.waiting["kafka"] = (f"{len(failed)} messages not acknowledged by {self.bootstrap} "
                                      f"({type(error).__name__}: {error}); retrying every {wait:g} s")
            log.warning("Kafka did not take %d messages (%s: %s); retrying in %.1f s — offsets are not "
                        "committed until it does", len(failed), type(error).__name__, error, wait)
            await asyncio.sleep(wait)
            wait = min(wait * 2, BACKOFF_MAX_S)
            todo = failed
        stats.waiting.pop("kafka", None)

    async def _commit(self, commit: dict[Any, int], n: int) -> None:
        """Commit a stored batch's offsets. A failure is no reason to stop: a later commit covers
        these offsets too (it is retried while the stream is quiet), and a batch read again is
        written again idempotently."""
        from aiokafka.errors import KafkaError
        from aiokafka.structs import OffsetAndMetadata

        commit = {tp: v for tp, v in commit.items() if tp in self.assigned}
        if not commit:
            return
        try:
            await self.consumer.commit({tp: OffsetAndMetadata(offset, "") for tp, offset in commit.items()})
        except (CommitFailedError, IllegalStateError) as exc:
            # a rebalance took the partitions: whoever reads them next reads this batch again (its
            # stored rows and sent messages are written again, idempotently)
            log.warning("batch of %d messages stored but not committed (%s); it will be read again", n, exc)
            return
        except KafkaError as exc:
            self.uncommitted.update(commit)
            stats.waiting["kafka commit"] = f"offsets of {n} stored messages not committed yet ({type(exc).__name__})"
            log.warning("batch of %d messages stored but not committed yet (%s: %s); retrying", n,
                        type(exc).__name__, exc)
            return
        for tp, offset in commit.items():
            if self.uncommitted.get(tp, -1) <= offset:
                self.uncommitted.pop(tp, None)
        if not self.uncommitted:
            stats.waiting.pop("kafka commit", None)
        self.committed.update(commit)
        stats.count("committed", n)

    def _message(self, out: Output) -> Message | None:
        """Where one outcome goes (and count it); None when it goes nowhere."""
        assert self.conf is not None
        key = out.subject.encode() if out.subject else None
        if out.kind == ACCEPTED:
            stats.counts["sent_events"] += 1
            if not out.replay:
                stats.counts["accepted"] += 1
            return Message(self.conf.topic_events, out.raw, key, None,
                           [("case_seq", str(out.case_seq).encode())])
        if out.kind == REJECTED:
            stats.counts["sent_dead_letters"] += 1
            if not out.replay:
                stats.counts["dead_lettered"] += 1
                stats.rejected_by_reason[out.reason or "unknown"] += 1
            return Message(self.conf.topic_dlq, dlq_value(out.raw), key, None, list(dead_letter_headers(out).items()))
        if out.kind == DUPLICATE:
            stats.counts["duplicates"] += 1
        elif out.kind == HELD and not out.replay:
            stats.counts["held"] += 1
        return None

    # --- rebalancing ----------------------------------------------------------------------
    async def on_assigned(self, partitions: set[Any]) -> None:
        async with self._lock:
            new = set(partitions) - self.assigned
            if new:
                await self._recover({tp.partition for tp in new})
            committed = await self.consumer._coordinator.fetch_committed_offsets(list(new)) if new else {}
            for tp in new:
                meta = committed.get(tp)
                self.committed[tp] = meta.offset if meta is not None and meta.offset >= 0 else 0
                self.positions.pop(tp, None)
            self.assigned = set(partitions)
            live.rebuild()

    async def on_revoked(self, partitions: set[Any]) -> None:
        async with self._lock:  # the batch in hand finishes and commits first
            await self.settle()
            gone = {tp.partition for tp in partitions}
            for subject in [s for s, st in live.states.items() if st.get("partition") in gone]:
                del live.states[subject]
            self.assigned -= set(partitions)
            for tp in partitions:
                self.committed.pop(tp, None)
                self.uncommitted.pop(tp, None)

    async def _recover(self, partitions: set[int]) -> None:
        """Read the changelog partitions of these inbound partitions to their end into the states."""
        from aiokafka import AIOKafkaConsumer, TopicPartition

        assert self.conf is not None
        reader = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False,
                                  fetch_max_wait_ms=FETCH_WAIT_MS, max_partition_fetch_bytes=8 << 20,
                                  **aiokafka_options(self.conf))
        await reader.start()
        try:
            tps = [TopicPartition(CHANGELOG, p) for p in sorted(partitions)]
            reader.assign(tps)
            ends = await reader.end_offsets(tps)
            starts = await reader.beginning_offsets(tps)
            for tp in tps:  # explicit offsets: a seek_to_beginning() could race the first position()
                reader.seek(tp, starts[tp])
            todo = {tp for tp in tps if ends[tp] > starts[tp]}
            n = 0
            while todo:
                for tp, messages in (await reader.getmany(*todo, timeout_ms=1000, max_records=20_000)).items():
                    for m in messages:
                        if m.offset >= ends[tp]:
                            break
                        subject = m.key.decode()
                        if m.value is None:
                            live.states.pop(subject, None)
                        else:
                            live.states[subject] = json.loads(m.value)
                        n += 1
                    if await reader.position(tp) >= ends[tp]:
                        todo.discard(tp)
            log.info("recovered %d case writes from %s partitions %s", n, CHANGELOG, sorted(partitions))
        finally:
            await reader.stop()

    def lags(self) -> int | None:
        """Inbound messages not yet committed by this worker (None before the first assignment
        or before every assigned partition's end is known)."""
        if self.consumer is None or not self.assigned:
            return None
        total = 0
        for tp in self.assigned:
            high = self.consumer.highwater(tp)
            if high is None:
                return None
            total += max(high - self.committed.get(tp, 0), 0)
        return total


class _Listener(ConsumerRebalanceListener):
    """aiokafka awaits these around a rebalance, before it fetches for the new assignment."""

    def __init__(self, stream: CaseStream):
        self.stream = stream

    async def on_partitions_revoked(self, revoked: set[Any]) -> None:
        await self.stream.on_revoked(revoked)

    async def on_partitions_assigned(self, assigned: set[Any]) -> None:
        await self.stream.on_assigned(assigned)


class _Stream:
    service: CaseStream | None = None


stream = _Stream()


@app.service
class _CaseStreamService(CaseStream):
    """The case stage, started with the worker."""

    async def on_first_start(self) -> None:
        stream.service = self
        await super().on_first_start()

    def on_fatal(self, exc: Exception) -> None:
        super().on_fatal(exc)
        # The worker must not go on without its case stage (it would look idle for ever): exit
        # now, so whoever runs it sees it die and restarts it from the last commit.
        logging.shutdown()
        os._exit(70)


def dlq_value(raw: bytes) -> bytes:
    """A dead letter's value on the DLQ topic: the message, cut to ``DLQ_VALUE_MAX`` bytes (its
    ``size`` header says how long it was) so that no message is too large to dead-letter; the
    warehouse's ``dead_letters`` row keeps it whole."""
    return raw[:DLQ_VALUE_MAX]


def dead_letter_headers(out: Output) -> dict[str, bytes]:
    return {
        "reason": (out.reason or "").encode(),
        "detail": (out.detail or "")[:4000].encode("utf-8", "replace"),
        "problems": json.dumps([{"path": p, "message": m} for p, m in out.problems[:50]])[:16_000].encode(
            "utf-8", "replace"),
        "size": str(len(out.raw)).encode(),
        "origin_topic": out.origin.topic.encode(),
        "origin_partition": str(out.origin.partition).encode(),
        "origin_offset": str(out.origin.offset).encode(),
    }
