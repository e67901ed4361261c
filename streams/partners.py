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

Each batch's offsets are committed only once the broker has the forwarded messages and the
warehouse has the dead letters, so nothing is lost; a crash in between forwards a batch twice,
which the case stage's de-duplication by (source, id) absorbs.

Kept apart from the case stage on purpose: the case stage's state is laid out by inbound
partition (its changelog), which one shared topic keeps simple.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from typing import Any

from mode import Service

from infra.kafka_clients import aiokafka_options
from schemas import EventValidationError
from schemas.partners import check_partner_message
from streams import stats
from streams.app import APP_ID, app, runtime
from streams.cases.agents import dead_letter_headers
from streams.cases.history import REJECTED, Origin, Output
from streams.sink.agents import store

log = logging.getLogger(__name__)
GROUP = f"{APP_ID}-partners"
BATCH = 5000
POLL_MS = 200
METADATA_MAX_AGE_MS = 10_000  # a new partner's topic is read within this long of its creation


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
    service: PartnerRelay | None = None


relay = _Relay()


def relay_lag() -> int | None:
    """Messages on the partners' own topics not yet relayed and committed (0 when there are none
    to read; None before the relay has started)."""
    service = relay.service
    if service is None or service.consumer is None:
        return None
    total = 0
    for tp in service.consumer.assignment():
        high = service.consumer.highwater(tp)
        if high is None:
            return None
        total += max(high - service.committed.get(tp, 0), 0)
    return total


@app.service
class PartnerRelay(Service):
    """Reads every ``<inbound>.<authority>`` topic (by pattern) and forwards or dead-letters."""

    consumer: Any = None
    producer: Any = None
    committed: dict[Any, int]

    async def on_start(self) -> None:
        from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

        conf = runtime.settings
        assert conf is not None, "streams.app.configure() runs before the worker starts"
        self.committed = {}
        relay.service = self
        security = aiokafka_options(conf)
        self.inbound = conf.topic_inbound
        self.dlq = conf.topic_dlq
        self.producer = AIOKafkaProducer(bootstrap_servers=runtime.bootstrap, acks="all", linger_ms=5,
                                         max_batch_size=1 << 20, max_request_size=8 << 20, **security)
        await self.producer.start()
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=runtime.bootstrap, group_id=GROUP, enable_auto_commit=False,
            auto_offset_reset="earliest", fetch_max_wait_ms=10, max_poll_records=BATCH,
            metadata_max_age_ms=METADATA_MAX_AGE_MS, session_timeout_ms=8000, heartbeat_interval_ms=1000,
            **security)
        await self.consumer.start()
        self.consumer.subscribe(pattern=f"^{re.escape(self.inbound)}\\.[^.]+$")

    async def on_stop(self) -> None:
        if self.consumer is not None:
            await self.consumer.stop()
        if self.producer is not None:
            await self.producer.stop()

    @Service.task
    async def _relay(self) -> None:
        while not self.should_stop:
            try:
                await self._note_committed()
                records = await self.consumer.getmany(timeout_ms=POLL_MS, max_records=BATCH)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self.should_stop:
                    return
                log.warning("partner relay: %s: %s", type(exc).__name__, exc)
                await asyncio.sleep(1)
                continue
            if records:
                try:
                    await self.relay(records)
                except Exception as exc:
                    # nothing of this batch was committed: exit, so whoever runs the worker restarts
                    # it and the batch is read again (as the case stage does)
                    log.critical("the partner relay stopped: %s: %s", type(exc).__name__, exc)
                    logging.shutdown()
                    os._exit(70)

    async def _note_committed(self) -> None:
        """Where each newly assigned partition was committed (for the lag in /status)."""
        for tp in self.consumer.assignment() - set(self.committed):
            offset = await self.consumer.committed(tp)
            if offset is None:
                offset = (await self.consumer.beginning_offsets([tp]))[tp]
            self.committed[tp] = offset

    async def relay(self, records: dict[Any, list[Any]]) -> None:
        from aiokafka.structs import OffsetAndMetadata

        futures, dead = [], []
        ends = {}
        for tp, messages in records.items():
            for m in messages:
                raw = m.value or b""
                subject, rejected = outcome(self.inbound, tp.topic, tp.partition, m.offset, raw)
                if rejected is None:
                    futures.append(await self.producer.send(self.inbound, raw, (subject or "").encode()))
                else:
                    dead.append(rejected)
                    # counted as the case stage counts its dead letters, so /status stays whole
                    stats.counts["sent_dead_letters"] += 1
                    stats.counts["dead_lettered"] += 1
                    stats.rejected_by_reason[rejected.reason or "unknown"] += 1
                    futures.append(await self.producer.send(
                        self.dlq, raw, rejected.subject.encode() if rejected.subject else None,
                        headers=list(dead_letter_headers(rejected).items())))
            if messages:
                ends[tp] = messages[-1].offset + 1
        await asyncio.gather(store(dead), self.producer.flush())
        for f in futures:  # a message the broker did not take stops the relay before its offset is committed
            await f
        await self.consumer.commit({tp: OffsetAndMetadata(offset, "") for tp, offset in ends.items()})
        self.committed.update(ends)
        stats.count("relayed", len(futures) - len(dead))
        stats.count("refused_by_relay", len(dead))
