"""The case stage as a Faust agent: cspr.events.inbound -> case tables, ClickHouse, cspr.events / .dlq.

One agent (``fold_cases``) reads the inbound topic through Faust's consumer in batches
(``take_events``: up to ``BATCH`` messages or ``BATCH_SECONDS``). Per batch, per inbound partition:

1. the pure projection (``streams.cases.history``) folds each message into its case (a message
   the rules fail on is dead-lettered ``processing_error`` there, and the batch goes on);
2. each changed case is written ONCE to the ``cases`` table; the batch's change to the live
   figures is grouped in plain dicts and written once per changed *page* to the ``figures``
   table: one page per (partition, notification year) holding that year's counters and pending
   rapid reviews, and one ``meta`` record per partition (events accepted, event-time watermark).
   So a batch of thousands of events costs a few figure writes, not one per counter per event.
   Both tables are on Faust's RocksDB store (``rocksdict``) under the worker's data folder, with
   compacted changelog topics that Faust writes and recovers (a restart reads only the changelog
   written since the local files);
3. accepted events are sent to ``cspr.events`` with their ``case_seq``, rejects to
   ``cspr.events.dlq`` with their reason (Faust's aiokafka producer, in 1 MiB batches);
4. accepted events are written to raw_events and rejects to dead_letters in one insert
   (``streams.sink``), retried for as long as ClickHouse is away, while Kafka acknowledges
   every message of 2 and 3 (``_Sends``);
5. only then does the agent return to ``take_events``, which acks the batch's messages, and
   Faust commits acked offsets.

Every table key is co-partitioned with the inbound topic (the case's subject is the message key):
Faust writes a table key to the changelog partition of the *current event*, which
``take_events`` does not set in the agent's task (the trap behind "Cannot modify table key from
outside of stream iteration", which stalled a sketch while Faust still committed its offsets):
``_in_partition`` sets it to one of the batch's own events of that partition around the writes.

Delivery is at-least-once with idempotent effects, not Kafka transactions: the warehouse cannot
join a Kafka transaction, so its rows must be idempotent anyway (raw_events is a
ReplacingMergeTree by event id, dead_letters keyed by bytes and reason); exactly-once would add a
transactional producer per partition and a commit per batch for no gain there. After a crash
the tables may hold effects of messages whose offsets were not committed; the projection
recognises a message seen at the same position as a replay, changes no figure, sends and stores
its outcomes again and writes its case again (so a case the local RocksDB file held but whose
changelog write was lost reaches the changelog). Nothing is lost and nothing counted twice:
``tests/streams/test_pipeline.py`` SIGKILLs the worker and compares with the reference calculator.

A batch that cannot be handled at all (a table, the producer, a bug outside the per-message step)
must not be acked: ``take_events`` acks its events when the loop body is left for any reason,
and Faust would commit them. ``hold_back`` marks them so Faust never commits them, and the worker
exits (status 70) so that whoever runs it restarts it from the last commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import json
import logging
import os
import time
import weakref
from collections.abc import Iterator, Sequence
from typing import Any, cast

from faust.streams import _current_event  # Faust's current-event context variable (see the docstring)
from faust.types import EventT

from streams import stats, topics
from streams.app import APP_ID, app, runtime
from streams.cases.history import (
    ACCEPTED,
    DUPLICATE,
    HELD,
    REJECTED,
    CaseProjection,
    CaseState,
    Origin,
    Output,
)
from streams.cases.models import BatchCases, JsonTable
from streams.figures.book import FigureBook
from streams.sink.agents import store

log = logging.getLogger(__name__)
BATCH = 20_000          # messages per batch at most: a chDB insert costs ~35 ms whatever its size (measured)
BATCH_SECONDS = 0.5     # a batch waits at most this long to fill (the latency bound on a quiet stream)
GC_THRESHOLD = 50_000   # allocations between young-generation collections (default 700)
EXIT_FATAL = 70
RESEEK_S = 5.0          # a partition sought back whose expected offset has not come since is sought again
HOLE_AFTER_SEEKS = 3    # seeks in a row that find the same offset missing: the broker has no message there
PROBE_S = 2.0           # how often /status learns whether the broker answers
GROUP = APP_ID          # the inbound topic's consumer group (Faust's)
DLQ_VALUE_MAX = 512 << 10  # bytes of a dead letter's value on the DLQ topic (the whole is in the warehouse)
TABLE_MESSAGE_MAX = 16 << 20  # a figures page's changelog message may be large (a year's counters)

_changelog = {"cleanup.policy": "compact", "max.message.bytes": str(TABLE_MESSAGE_MAX)}
# Faust opens each table partition's RocksDB with a 2 GiB block cache and three 64 MiB memtables:
# eight of them (two tables x four partitions) held hundreds of MiB of the worker's RSS. The
# decoded case states are cached in memory already (streams.cases.models.JsonTable).
_rocksdb = {"write_buffer_size": 8 << 20, "max_write_buffer_number": 2, "block_cache_size": 16 << 20,
            "block_cache_compressed_size": 4 << 20}
cases = app.Table("cases", key_type=bytes, value_type=bytes, options=_rocksdb,
                  extra_topic_configs=_changelog,
                  help="Each case's state (streams.cases.history, as JSON), keyed by its subject")
figures = app.Table("figures", key_type=bytes, value_type=bytes, options=_rocksdb,
                    extra_topic_configs=_changelog,
                    help="The live figures of one inbound partition's cases: '<partition>|y|<year>' -> that "
                         "notification year's counters and pending rapid reviews (JSON); '<partition>|meta' -> "
                         "events accepted and the event-time watermark")

# Faust gives a bytes table the JSON codec (a state would be encoded as a JSON string of JSON):
# the tables store and changelog the bytes they are given (read before the store and the
# changelog topic are made, when the worker starts)
for _table in (cases, figures):
    cast(Any, _table).key_serializer = cast(Any, _table).value_serializer = "raw"


class _Sends:
    """The batch's messages queued in Faust's producer buffer (table changelog writes and
    outcomes), so that the batch is acked only once Kafka has every one of them.

    Faust flushes its producer before it commits, but its buffer's flush gives up after 0.1 s
    without progress, and a commit then goes ahead of messages still queued: waiting for each
    message's own future keeps "nothing committed before its effects are in Kafka"."""

    def __init__(self) -> None:
        self.futures: list[Any] = []

    def track(self, send: Any) -> Any:
        def tracked(*args: Any, **kwargs: Any) -> Any:
            fut = send(*args, **kwargs)
            self.futures.append(fut)
            return fut
        return tracked

    async def delivered(self) -> None:
        futures, self.futures = self.futures, []
        if futures:
            await asyncio.gather(*futures)


sends = _Sends()
for _table in (cases, figures):
    _table.send_changelog = sends.track(_table.send_changelog)  # type: ignore[method-assign]


def _page_key(partition: int, year: str) -> bytes:
    return f"{partition}|y|{year}".encode()


def _meta_key(partition: int) -> bytes:
    return f"{partition}|meta".encode()


def _year(counter: str) -> str:
    """A counter key's notification year (every key's second field starts with it)."""
    return counter.split("|", 2)[1][:4]


class Live:
    """The worker's projection over the case table, and its figures mirrored in memory.

    ``pages`` and ``meta`` are the decoded ``figures`` table of this worker's partitions, and
    ``book`` their sum: rebuilt after every recovery (a rebalance changes the partitions), then
    kept current batch by batch as the table is written.
    """

    def __init__(self) -> None:
        self.cache = BatchCases(JsonTable(cases))
        self.projection = CaseProjection(self.cache)
        self.book = FigureBook()
        self.pages: dict[bytes, dict[str, Any]] = {}
        self.meta: dict[int, dict[str, Any]] = {}

    def rebuild(self) -> None:
        """The figures, accepted count and watermark from the (recovered) tables of this worker's partitions."""
        self.pages, self.meta = {}, {}
        book = FigureBook()
        for key, value in figures.items():
            partition, kind = key.decode().split("|", 2)[:2]
            doc = json.loads(value)
            if kind == "meta":
                self.meta[int(partition)] = doc
                continue
            self.pages[key] = doc
            book.apply(doc["c"])
            for subject, review in doc["p"].items():
                book.set_pending(subject, review)
        self.book = book
        self.cache = BatchCases(JsonTable(cases))
        self.projection = CaseProjection(self.cache)
        marks = [m["watermark"] for m in self.meta.values() if m.get("watermark")]
        self.projection.watermark = dt.datetime.fromisoformat(max(marks)) if marks else None
        log.info("figures rebuilt from the tables of partitions %s", sorted(self.meta))

    def accepted(self) -> int:
        """Events accepted by this worker's cases (the sum of their last case_seq)."""
        return sum(int(m.get("accepted", 0)) for m in self.meta.values())

    def by_partition(self) -> dict[int, tuple[FigureBook, int]]:
        """Each partition's own figures and events accepted, from ``pages`` and ``meta`` (for the
        snapshots: another worker holds the other partitions, and the readers sum them)."""
        books: dict[int, FigureBook] = {}
        for key, doc in self.pages.items():
            book = books.setdefault(int(key.split(b"|", 1)[0]), FigureBook())
            book.apply(doc["c"])
            for subject, review in doc["p"].items():
                book.set_pending(subject, review)
        return {p: (books.get(p) or FigureBook(), int(self.meta.get(p, {}).get("accepted", 0)))
                for p in sorted({*books, *self.meta})}


live = Live()


def case_states() -> list[CaseState]:
    """Every case state of this worker's partitions (for the views)."""
    return [CaseState.from_json(value) for value in cases.values()]


@cases.on_recover
async def _on_recovered() -> None:
    _check_partitions()
    live.rebuild()


def _check_partitions() -> None:
    """Every table's changelog has as many partitions as the inbound topic (a table key is written
    to its inbound partition's number), checked here once rather than by Faust on the first write.

    Faust checks it on a table's first write against its consumer's metadata, which may not know
    a changelog topic created moments before (it then counts 0 partitions and the write raises
    ``PartitionsMismatch``: measured on a first start). The changelogs are created with
    ``topic_partitions`` partitions (``CSPR_TOPIC_PARTITIONS``, as the inbound topic).
    """
    inbound = topics.inbound.get_topic_name()
    source_n = app.consumer.topic_partitions(inbound)
    for table in (cases, figures):
        change_n = app.consumer.topic_partitions(table.changelog_topic.get_topic_name()) or table.partitions \
            or app.conf.topic_partitions
        if source_n and change_n != source_n:
            raise SystemExit(f"the inbound topic {inbound} has {source_n} partitions but the changelog of table "
                             f"{table.name} has {change_n}: give them the same number (CSPR_TOPIC_PARTITIONS)")
        cast(Any, table)._verified_source_topics_for_partitions.add(inbound)  # checked above


app.exact_topics.add(topics.inbound.get_topic_name())  # its offsets kept exactly (streams.app.ExactCommits)


@app.agent(topics.inbound, name="cspr-cases")
async def fold_cases(stream: Any) -> None:
    """The case stage (see the module's docstring)."""
    # Each event allocates hundreds of short-lived objects while every case state stays for
    # good: with the default thresholds the collector keeps re-scanning the states.
    gc.set_threshold(GC_THRESHOLD, 20, 100)
    async for batch in stream.take_events(BATCH, within=BATCH_SECONDS):
        try:
            async with app.in_flight:
                if app.should_stop:  # the tables are closing: the batch is read again after the restart
                    hold_back(batch)
                    continue
                await handle(batch)
        except BaseException as exc:
            hold_back(batch)
            if isinstance(exc, asyncio.CancelledError):  # the worker stops: the batch is read again
                raise
            log.critical("the case stage stopped: %s: %s (nothing after the last commit was committed)",
                         type(exc).__name__, exc, exc_info=exc)
            # The worker must not go on without its case stage (it would look idle for ever): exit
            # now, so whoever runs it sees it die and restarts it from the last commit.
            logging.shutdown()
            os._exit(EXIT_FATAL)


async def handle(batch: Sequence[EventT[Any]]) -> None:
    """One batch: fold, write the tables, queue the outcomes, store them (see the module's docstring).

    Called under ``app.in_flight``, which a revocation waits for: the batch's partitions stay this
    worker's until it returns. Only the events ``in_order`` admits are handled.
    """
    by_partition, stale = await in_order(batch)
    hold_back(stale)
    outputs: list[Output] = []
    for events in by_partition.values():
        with _in_partition(events[-1]):
            outputs += fold_partition(events)
    n = len(batch) - len(stale)
    sends.futures += await send_outcomes(outputs)
    stats.count("consumed", n)
    await asyncio.gather(store(outputs), sends.delivered())
    stats.count("committed", n)


async def in_order(batch: Sequence[EventT[Any]]) -> tuple[dict[int, list[EventT[Any]]], list[EventT[Any]]]:
    """The batch's events to handle, by partition, and the others (not handled, not acked).

    Each partition's events are handled in offset order, each offset once, from the committed
    offset the assignment's seek went back to (``streams.app.ExactCommits.next_offsets``). Not
    handled: an event fetched before the last revocation (it was in the ``take_events`` buffer
    when the rebalance came: ``streams.app.FencedRevocation``), or before this assignment's seek
    (fetched from the position before the rebalance), or of a partition no longer assigned; an
    offset already handled (a second delivery); and an offset past the next one expected, a jump
    over messages the agent never had (seen: Faust's queue cleared at a revocation, a fetch from
    the old position, a seek racing a fetch). A jump seeks the partition back to the offset
    expected, so those messages come again; handled out of order, a case's later event took an
    earlier one's case_seq (seen on two workers).
    """
    consumer = cast(Any, app.consumer)
    assigned = consumer.assignment()
    expected = consumer.next_offsets
    is_current = app.is_current
    by_partition: dict[int, list[EventT[Any]]] = {}
    stale: list[EventT[Any]] = []
    jumps: dict[Any, int] = {}
    for event in batch:
        m = event.message
        tp = m.tp
        if not is_current(m) or tp not in assigned or tp not in expected:
            stale.append(event)
            continue
        want = expected[tp]
        if want is None or m.offset == want:  # (None: the topic's first offset was not known)
            expected[tp] = m.offset + 1
            by_partition.setdefault(m.partition, []).append(event)
        else:
            stale.append(event)
            if m.offset > want:
                jumps.setdefault(tp, m.offset)
    now = time.monotonic()
    for tp in {events[0].message.tp for events in by_partition.values()}:
        jump = consumer.jumps.get(tp)
        if jump is not None and expected.get(tp) is not None and expected[tp] > jump[0]:
            consumer.jumps.pop(tp, None)  # the offset expected came: that jump is over
    for tp, came in jumps.items():
        want = expected[tp]
        jump = consumer.jumps.get(tp)
        if want is None or (jump is not None and jump[0] == want):
            continue  # already sought back to it: ``seek_again`` sees to it
        sought, at = consumer.sought.get(tp, (None, 0.0))
        if sought is not None and sought <= want and now - at < RESEEK_S:
            # a seek at or before it is under way: the partition comes again in order from there,
            # and if the offset expected has not come within RESEEK_S, ``seek_again`` seeks to it
            consumer.jumps[tp] = (want, came, 0)
            continue
        log.warning("partition %s of %s: offset %s came before %s; reading the partition again from %s",
                    tp.partition, tp.topic, came, want, want)
        consumer.jumps[tp] = (want, came, 1)
        consumer.sought[tp] = (want, now)
        await consumer.seek(tp, want)
    return by_partition, stale


@app.timer(RESEEK_S / 5)
async def _seek_again_on_time() -> None:
    if getattr(app.consumer, "jumps", None):
        async with app.in_flight:
            await seek_again(cast(Any, app.consumer), time.monotonic())


async def seek_again(consumer: Any, now: float) -> None:
    """A partition sought back over a jump whose expected offset has not come within ``RESEEK_S``
    is sought back again; after ``HOLE_AFTER_SEEKS`` such seeks the broker has no message there
    (deleted by retention before this stream read it, or a transaction's marker, which no
    consumer is given), and the partition goes on from the offset that came instead. Without
    this, a partition whose expected offset does not exist would wait for ever."""
    for tp, (want, came, seeks) in list(consumer.jumps.items()):
        if consumer.next_offsets.get(tp) != want or tp not in consumer.assignment():
            consumer.jumps.pop(tp, None)  # it came, or the partition is no longer this worker's
            continue
        if now - consumer.sought.get(tp, (None, 0.0))[1] < RESEEK_S:
            continue
        if seeks >= HOLE_AFTER_SEEKS:
            log.error("partition %s of %s: offsets %s to %s are not on the broker (%d seeks back from %s found "
                      "%s first): going on from %s. If retention deleted them, they were never read: check the "
                      "topic's retention against how long the stream was stopped", tp.partition, tp.topic,
                      want, came - 1, seeks, want, came, came)
            stats.count("offsets_not_on_the_broker", came - want)
            consumer.skip(tp, want, came)
            consumer.next_offsets[tp] = want = came
            consumer.jumps.pop(tp, None)
        else:
            if seeks == 0:
                log.warning("partition %s of %s: offset %s came before %s; reading the partition again from %s",
                            tp.partition, tp.topic, came, want, want)
            consumer.jumps[tp] = (want, came, seeks + 1)
        consumer.sought[tp] = (want, now)
        await consumer.seek(tp, want)


async def send_outcomes(outputs: Sequence[Output]) -> list[asyncio.Future[Any]]:
    """Queue the outcomes for cspr.events and the DLQ; returns the futures Kafka resolves.

    On Faust's aiokafka producer (Faust's buffer costs ~3x per message, measured), in one aiokafka
    batch per (topic, partition) filled in order, rather than one ``send`` per message, which
    costs a metadata lookup, a future and an accumulator step per message. Each message goes to
    the partition ``send`` would have chosen (the producer's partitioner over its key).
    """
    producer = cast(Any, app.producer)._producer
    partitions: dict[str, tuple[list[int], list[int]]] = {}
    open_batches: dict[tuple[str, int], Any] = {}
    futures: list[asyncio.Future[Any]] = []
    for out in outputs:
        message = _message(out)
        if message is None:
            continue
        topic, key, value, headers = message
        if topic not in partitions:
            known = list(await producer.partitions_for(topic))  # the same list ``send`` hands its partitioner
            partitions[topic] = known, list(producer.client.cluster.available_partitions_for_topic(topic))
        partition = producer._partitioner(key, *partitions[topic])
        batch = open_batches.get((topic, partition))
        if batch is None:
            batch = open_batches[topic, partition] = producer.create_batch()
        if batch.append(key=key, value=value, timestamp=None, headers=headers) is None:  # full: send it
            futures.append(await producer.send_batch(batch, topic, partition=partition))
            batch = open_batches[topic, partition] = producer.create_batch()
            batch.append(key=key, value=value, timestamp=None, headers=headers)  # a new batch takes any message
    for (topic, partition), batch in open_batches.items():
        futures.append(await producer.send_batch(batch, topic, partition=partition))
    return futures


def fold_partition(events: Sequence[EventT[Any]]) -> list[Output]:
    """Fold one partition's events and write each changed table key once; returns the outcomes."""
    projection = live.projection
    outputs: list[Output] = []
    for event in events:
        m = event.message
        outputs += projection.process(m.value or b"", Origin(m.topic, m.partition, m.offset))
    partition = events[-1].message.partition
    changes, pending, accepted, latest = live.cache.flush(projection.take_touched())
    write_figures(partition, changes, pending, accepted, latest)
    return outputs


def write_figures(partition: int, changes: dict[str, int], pending: dict[str, tuple[Any, Any]],
                  accepted: int, latest: str | None) -> None:
    """Apply one partition's batch of figure changes to the book and write each changed page once."""
    live.book.apply(changes)
    dirty: set[bytes] = set()

    def page(year: str) -> dict[str, Any]:
        key = _page_key(partition, year)
        dirty.add(key)
        doc = live.pages.get(key)
        if doc is None:
            doc = live.pages[key] = {"c": {}, "p": {}}
        return doc

    for counter, delta in changes.items():
        counts = page(_year(counter))["c"]
        value = counts.get(counter, 0) + delta
        if value:
            counts[counter] = value
        else:
            counts.pop(counter, None)
    for subject, (was, now) in pending.items():
        if was is not None:
            page(was["notified_date"][:4])["p"].pop(subject, None)
        if now is not None:
            page(now["notified_date"][:4])["p"][subject] = now
        live.book.set_pending(subject, now)
    for key in dirty:
        figures[key] = json.dumps(live.pages[key], separators=(",", ":")).encode()
    meta = live.meta.setdefault(partition, {"accepted": 0, "watermark": None})
    if accepted or (latest and (meta["watermark"] is None or latest > meta["watermark"])):
        meta["accepted"] += accepted
        if latest and (meta["watermark"] is None or latest > meta["watermark"]):
            meta["watermark"] = latest
        figures[_meta_key(partition)] = json.dumps(meta, separators=(",", ":")).encode()


@app.timer(PROBE_S)
async def probe_broker() -> None:
    """Whether the broker answers a metadata request, for /status: Faust's consumer retries
    quietly and a batch just waits for its messages' acknowledgements, so without this an outage
    would not show (the batch in hand, and every commit, wait for the broker however long)."""
    producer = getattr(app.producer, "_producer", None)  # aiokafka's, once Faust's producer started
    if producer is None:
        return
    try:
        await asyncio.wait_for(producer.client.fetch_all_metadata(), PROBE_S * 2)
    except Exception as exc:  # KafkaError, a timeout: the broker is away
        since = stats.waiting.get("kafka broker", "").split(" since ")[-1].rstrip(")") or \
            dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        stats.waiting["kafka broker"] = (f"{runtime.bootstrap} "
                                         f"does not answer ({type(exc).__name__}; since {since})")
        return
    stats.waiting.pop("kafka broker", None)


@contextlib.contextmanager
def _in_partition(event: EventT[Any]) -> Iterator[None]:
    """Make ``event`` Faust's current event: table reads and writes then use its partition."""
    token = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(token)


def hold_back(events: Sequence[EventT[Any]]) -> None:
    """Keep Faust from ever committing these messages' offsets (they are read again after a
    restart or rebalance): marked acked without the consumer's bookkeeping, so the ack that
    ``take_events`` gives them is a no-op and the offset stays a gap Faust does not commit past.
    (A stale event's partition was revoked since it was fetched: its bookkeeping is gone, and its
    next owner, this worker again or another, reads it from the committed offset.)"""
    for event in events:
        event.message.acked = True


def _message(out: Output) -> tuple[str, bytes | None, bytes, list[tuple[str, bytes]]] | None:
    """Where one outcome goes (topic, key, value, headers), and count it; None when it goes nowhere."""
    key = out.subject.encode() if out.subject else None
    if out.kind == ACCEPTED:
        stats.counts["sent_events"] += 1
        if not out.replay:
            stats.counts["accepted"] += 1
        return topics.events.get_topic_name(), key, out.raw, [("case_seq", str(out.case_seq).encode())]
    if out.kind == REJECTED:
        stats.counts["sent_dead_letters"] += 1
        if not out.replay:
            stats.counts["dead_lettered"] += 1
            stats.rejected_by_reason[out.reason or "unknown"] += 1
        return topics.dead_letters.get_topic_name(), key, dlq_value(out.raw), list(dead_letter_headers(out).items())
    if out.kind == DUPLICATE:
        stats.counts["duplicates"] += 1
    elif out.kind == HELD and not out.replay:
        stats.counts["held"] += 1
    return None


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

