"""The partner relay: each partner's own inbound topic -> the shared inbound topic, bound to its authority.

On Kafka a partner may write only its own topic, ``cspr.events.inbound.<LA code>`` (or
``.panel``): its ACLs say so (``infra/kafka/add-partner.sh``). Kafka does not tell a consumer who
wrote a message, so the topic is the proof of the writer, and this relay holds each message to
it (``schemas.partners.check_partner_message``):

- a valid event whose ``source`` is the topic's authority is forwarded, bytes unchanged and keyed
  by its subject, to the shared inbound topic, which only the relay and the HTTP gateway (itself
  checking each partner's token) may write; the case stage reads it from there as before;
- anything else is dead-lettered here, with the reason and field path (``source_not_authorised``
  for another authority's ``source``), to ``cspr.events.dlq`` and the warehouse's dead letters,
  whose ``origin_topic`` then names the partner that sent it (the partner view reads it there).

The partners are configuration: ``CSPR_PARTNERS`` (``infra.settings``, LA codes or ``panel``),
read when the worker starts. ``enable`` then gives the app one more Faust agent
(``relay_partners``) over exactly those topics, ``app.topic(*names)``, subscribed from the start
with the rest of the worker's topics; ``streams.worker.ensure_partner_topics`` has made sure the
broker lists them before the worker starts (Faust's assignor ignores a topic its metadata does not
list yet). A new partner means a restart of the worker. With no partner configured there is no
relay agent at all. (Faust 0.15 cannot subscribe by pattern, and a topic list changed while the
worker runs was seen to leave a new topic assigned but never read: hence configuration.)

Offsets: the relay's partitions are in the worker's one consumer group (``cspr-stream``, Faust's),
beside the inbound topic, and Faust commits them. The agent reads in batches (``take_events``) and
returns to it, which acks the batch, only once Kafka has acknowledged every forwarded message and
dead letter and the warehouse has stored the dead letters: Faust commits no offset before its
message's effects are in Kafka and the warehouse, so nothing is lost; a crash in between forwards
a batch again, which the case stage's de-duplication by (source, id) absorbs (and the warehouse's
dead letters are keyed by bytes and reason). A batch that cannot be relayed is never committed
and the worker exits (status 70), as the case stage does.

Kept apart from the case stage on purpose (its own agent): the case stage's state is laid out by
inbound partition (its changelog), which one shared topic keeps simple.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Sequence
from typing import Any, cast

from faust.types import EventT

from infra.settings import Settings
from schemas import EventValidationError
from schemas.partners import check_partner_message, partner_topic
from streams import stats
from streams.app import app
from streams.cases.agents import EXIT_FATAL, dead_letter_headers, dlq_value, hold_back
from streams.cases.history import REJECTED, Origin, Output
from streams.sink.agents import store

log = logging.getLogger(__name__)
BATCH = 5000
BATCH_SECONDS = 0.2
AGENT = "cspr-partner-relay"
RETENTION_MS = 7 * 24 * 3600 * 1000  # a partner topic the worker creates keeps a week, as acls.sh's


def outcome(inbound: str, topic: str, partition: int, offset: int, raw: bytes) -> tuple[str | None, Output | None]:
    """(subject to forward under, None) for a message bound to its topic's authority, else
    (None, the dead letter)."""
    try:
        event = check_partner_message(inbound, topic, raw)
    except EventValidationError as err:
        return None, Output(REJECTED, raw, Origin(topic, partition, offset), subject=_subject_of(raw),
                            reason=err.reason, detail=str(err), problems=tuple((p.path, p.message) for p in err.problems))
    return event.subject, None


def _subject_of(raw: bytes) -> str | None:
    """The subject of a refused message, when it has one (its dead letter's key)."""
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    subject = doc.get("subject") if isinstance(doc, dict) else None
    return subject if isinstance(subject, str) else None


class _Relay:
    """What ``enable`` configured: the inbound topic, the DLQ and the partners' topics."""

    inbound = ""
    dlq = ""
    topics: tuple[str, ...] = ()


relay = _Relay()


def partner_topics(conf: Settings) -> list[str]:
    """The configured partners' own topics (``CSPR_PARTNERS``), in their order."""
    return [partner_topic(conf.topic_inbound, code) for code in conf.partner_codes]


def enable(conf: Settings) -> None:
    """Give the app the relay agent over the configured partners' topics (none configured: no agent).
    Call once, after ``streams.app.configure`` and before the worker starts."""
    names = partner_topics(conf)
    if relay.topics or not names:
        if relay.topics and tuple(names) != relay.topics:
            raise RuntimeError(f"the partner relay is already enabled for {relay.topics}")
        return
    relay.inbound, relay.dlq, relay.topics = conf.topic_inbound, conf.topic_dlq, tuple(names)
    topic = app.topic(*names, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")
    app.agent(topic, name=AGENT)(relay_partners)


def relay_lag() -> int | None:
    """Messages on the partners' own topics of this worker's partitions not yet relayed and
    committed (0 with no partner, or none of their partitions here; None before the worker's
    consumer has started, or while an assigned partition's end is unknown)."""
    from faust.exceptions import ConsumerNotStarted

    if not relay.topics:
        return 0
    consumer = app.consumer
    try:
        tps = [tp for tp in consumer.assignment() if tp.topic in relay.topics]
    except ConsumerNotStarted:
        return None
    total = 0
    for tp in tps:
        high = consumer.highwater(tp)
        if high is None:
            return None
        total += max(high - (cast(Any, consumer)._committed_offset.get(tp) or 0), 0)
    return total


async def relay_partners(stream: Any) -> None:
    """The relay agent (see the module's docstring)."""
    async for batch in stream.take_events(BATCH, within=BATCH_SECONDS):
        try:
            async with app.in_flight:  # a stop or revocation waits for the batch in hand
                if app.should_stop:  # read again after the restart
                    hold_back(batch)
                    continue
                await relay_batch(batch)
        except BaseException as exc:
            hold_back(batch)
            if isinstance(exc, asyncio.CancelledError):
                raise
            log.critical("the partner relay stopped: %s: %s (nothing after the last commit was committed)",
                         type(exc).__name__, exc, exc_info=exc)
            logging.shutdown()
            os._exit(EXIT_FATAL)


async def relay_batch(batch: Sequence[EventT[Any]]) -> None:
    """Forward or dead-letter each message; returns once Kafka and the warehouse have them all."""
    assigned = app.consumer.assignment()
    producer = cast(Any, app.producer)._producer  # aiokafka's: one future per message, awaited below
    futures, dead = [], []
    for event in batch:
        m = event.message
        if m.tp not in assigned or not app.is_current(m):  # fetched before a revocation (streams.app.
            hold_back([event])  # FencedRevocation): its partition's owner reads it from the last commit
            continue
        raw = m.value or b""
        subject, rejected = outcome(relay.inbound, m.topic, m.partition, m.offset, raw)
        if rejected is None:
            futures.append(await producer.send(relay.inbound, raw, (subject or "").encode()))
            continue
        dead.append(rejected)
        # counted as the case stage counts its dead letters, so /status stays whole
        stats.counts["sent_dead_letters"] += 1
        stats.counts["dead_lettered"] += 1
        stats.rejected_by_reason[rejected.reason or "unknown"] += 1
        futures.append(await producer.send(
            relay.dlq, dlq_value(raw), rejected.subject.encode() if rejected.subject else None,
            headers=list(dead_letter_headers(rejected).items())))
    # a message the broker did not take raises here, before take_events acks the batch
    await asyncio.gather(store(dead), *futures)
    stats.count("relayed", len(futures) - len(dead))
    stats.count("refused_by_relay", len(dead))
