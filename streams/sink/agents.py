"""The sink: cspr.events -> raw_events, cspr.events.dlq -> dead_letters, in batches.

``take_events()`` acks a batch's events only when the loop body has finished with it (when the
generator is resumed for the next batch), and Faust commits only acked offsets; the body awaits
the insert, retrying until ClickHouse has the rows, so an offset is never committed for a row the
warehouse does not have. A crash before the commit means the rows are written again, which the
ReplacingMergeTree (read with FINAL) collapses.
"""

from __future__ import annotations

import logging
from typing import Any

from infra.settings import settings
from streams import stats, topics
from streams.app import app
from streams.sink.writer import Message, Writer, dead_letter_rows, event_rows, headers_of

log = logging.getLogger(__name__)


class _Sink:
    writer: Writer | None = None


sink = _Sink()


def use_writer(writer: Writer) -> None:
    sink.writer = writer


def _messages(batch: Any) -> list[Message]:
    return [Message(bytes(e.value or b""), headers_of(e.message), e.message.topic, e.message.partition,
                    e.message.offset) for e in batch]


@app.agent(topics.events)
async def sink_events(stream: Any) -> None:
    """Accepted events into raw_events, one insert per batch."""
    conf = settings()
    async for batch in stream.take_events(conf.sink_batch_size, within=conf.sink_batch_seconds):
        rows, problems = event_rows(_messages(batch))
        for problem in problems:  # not an accepted event: only a foreign writer can put it here
            log.error("cspr.events holds a message that is not a valid event, not stored: %s", problem)
            stats.count("sink_unreadable")
        assert sink.writer is not None, "the worker sets the writer before it starts"
        stats.count("sunk_events", await sink.writer.insert_events(rows))


@app.agent(topics.dead_letters)
async def sink_dead_letters(stream: Any) -> None:
    """Dead letters into dead_letters, one insert per batch."""
    conf = settings()
    async for batch in stream.take_events(conf.sink_batch_size, within=conf.sink_batch_seconds):
        assert sink.writer is not None, "the worker sets the writer before it starts"
        stats.count("sunk_dead_letters", await sink.writer.insert_dead_letters(dead_letter_rows(_messages(batch))))
