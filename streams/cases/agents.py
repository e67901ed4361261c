"""The validation and case agent: cspr.events.inbound -> cspr.events / cspr.events.dlq.

Each batch of inbound messages goes through the pure projection (``streams.cases.history``);
accepted events are sent on with their ``case_seq``, rejected ones dead-lettered with their
reason, duplicates and held events counted.
"""

from __future__ import annotations

import logging
from typing import Any

from infra.settings import settings
from streams import stats, topics
from streams.app import app
from streams.cases.history import ACCEPTED, DUPLICATE, HELD, REJECTED, CaseProjection, Origin, Output
from streams.cases.models import BatchCases
from streams.figures.book import FigureBook

log = logging.getLogger(__name__)
BATCH = 1000
BATCH_SECONDS = 0.2

cases = app.Table(
    # key_type=bytes: the raw subject, the same bytes (so the same partition) as the inbound key;
    # values are JSON (Faust picks serializers from key_type/value_type, also when recovering)
    "cases", default=None, key_type=bytes,
    partitions=settings().topic_partitions, use_partitioner=True,
    help="Each case's state by subject: its accepted facts, held events, ids seen, case_seq.",
)


class Projection:
    """The worker's live projection: the case table, the figures derived from it, the watermark."""

    def __init__(self) -> None:
        self.book = FigureBook()
        self.cache = BatchCases(_TableByText(cases))
        self.projection = CaseProjection(self.cache)
        self.ready = False

    def rebuild(self) -> None:
        """Derive the figures, watermark and held deadlines from the (recovered) case table."""
        states = list(_TableByText(cases).values())
        self.book = FigureBook.from_cases(states)
        self.projection = CaseProjection(self.cache)
        self.projection.rebuild(states)
        self.ready = True
        log.info("projection rebuilt from %d cases", len(states))


class _TableByText:
    """The cases table with str keys (the table stores the subject as raw bytes)."""

    def __init__(self, table: Any):
        self.table = table

    def get(self, subject: str, default: Any = None) -> Any:
        return self.table.get(subject.encode(), default)

    def __setitem__(self, subject: str, state: dict[str, Any]) -> None:
        self.table[subject.encode()] = state

    def __iter__(self) -> Any:
        return (k.decode() for k in self.table)

    def __len__(self) -> int:
        return len(self.table)

    def values(self) -> list[dict[str, Any]]:
        return [v for v in self.table.values() if v]


live = Projection()


@app.on_rebalance_complete.connect
async def _rebuild_after_rebalance(sender: Any, **kwargs: Any) -> None:
    live.ready = False  # the next batch rebuilds from the recovered table


@app.agent(topics.inbound)
async def project_cases(stream: Any) -> Any:
    """Validate, fold into the case, send on or dead-letter; one table write per case per batch."""
    async for batch in stream.take_events(BATCH, within=BATCH_SECONDS):
        if not live.ready:
            live.rebuild()
        outputs: list[Output] = []
        for event in batch:
            message = event.message
            outputs += live.projection.process(bytes(event.value or b""),
                                               Origin(message.topic, message.partition, message.offset))
        stats.count("consumed", len(batch))
        live.cache.flush(live.projection.take_touched(), live.book)
        for out in outputs:
            await send(out)
        yield len(batch)


async def send(out: Output) -> None:
    """Send one outcome where it goes; count it.

    Straight to the producer rather than ``Topic.send()``: Faust's per-message bookkeeping cost
    more than the rest of the agent's work. Faust flushes the producer before it commits the
    inbound offsets, so every output is in Kafka before its input counts as done.
    """
    key = out.subject.encode() if out.subject else None
    if out.kind == ACCEPTED:
        await app.producer.send(topics.events.get_topic_name(), key, out.raw, None, None,
                                [("case_seq", str(out.case_seq).encode())])
        stats.count("sent_events")
        if not out.replay:
            stats.count("accepted")
    elif out.kind == REJECTED:
        await app.producer.send(topics.dead_letters.get_topic_name(), key, out.raw, None, None,
                                list(dead_letter_headers(out).items()))
        stats.count("sent_dead_letters")
        if not out.replay:
            stats.count("dead_lettered")
            stats.rejected_by_reason[out.reason or "unknown"] += 1
    elif out.kind == DUPLICATE:
        stats.count("duplicates")
    elif out.kind == HELD and not out.replay:
        stats.count("held")


def dead_letter_headers(out: Output) -> dict[str, bytes]:
    import json

    return {
        "reason": (out.reason or "").encode(),
        "detail": (out.detail or "")[:4000].encode(),
        "problems": json.dumps([{"path": p, "message": m} for p, m in out.problems]).encode(),
        "origin_topic": out.origin.topic.encode(),
        "origin_partition": str(out.origin.partition).encode(),
        "origin_offset": str(out.origin.offset).encode(),
    }
