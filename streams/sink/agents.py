"""The sink: each inbound batch's accepted events into raw_events and its rejects into dead_letters.

The case agent (``streams.cases.agents``) calls ``store()`` with a batch's outcomes before it
returns from the batch. ``take_events()`` acks a batch's events only when the loop body has
finished with it (when the generator is resumed for the next batch), and Faust commits only acked
offsets; ``store()`` awaits the inserts, retrying until ClickHouse has the rows, so an inbound
offset is never committed for a row the warehouse does not have. A crash before the commit means
the batch is read again and its outcomes written again (the projection replays a message seen at
the same position), which the ReplacingMergeTree (read with FINAL) and the dead letters' key
(raw bytes, reason) collapse.

Why not a second stage reading ``cspr.events`` back: Faust's own work per consumed message cost
more than everything else the worker does (measured: 2,300 events/s end to end with the sink on
``cspr.events`` and ``cspr.events.dlq``). The outcomes are still sent to those topics for
downstream consumers; the warehouse is written from the batch in hand.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from infra.warehouse import dead_letter_row, insert_dead_letters, insert_events, raw_event_row
from schemas.reasons import PROCESSING_ERROR
from streams import stats
from streams.cases.history import ACCEPTED, REJECTED, Output
from streams.sink.writer import Writer

log = logging.getLogger(__name__)


class _Sink:
    writer: Writer | None = None


sink = _Sink()


def use_writer(writer: Writer) -> None:
    sink.writer = writer


def rows_of(outputs: Sequence[Output]) -> tuple[list[list[Any]], list[list[Any]]]:
    """raw_events rows of the accepted outcomes and dead_letters rows of the rejected ones.

    A row records where its message was read (the inbound topic, partition and offset).
    """
    events: list[list[Any]] = []
    dead: list[list[Any]] = []
    for out in outputs:
        o = out.origin
        try:
            if out.kind == ACCEPTED:
                assert out.event is not None and out.case_seq is not None
                events.append(raw_event_row(out.raw, out.event, out.case_seq, o.topic, o.partition, o.offset))
            elif out.kind == REJECTED:
                dead.append(dead_letter_row(out.raw, out.reason or "unknown", out.detail or "", out.problems,
                                            topic=o.topic, partition=o.partition, offset=o.offset))
        except Exception as exc:  # no message can stop the stream: its row becomes a plain dead letter
            log.exception("no row could be built for the message at %s; dead-lettering it", o.tag())
            dead.append(failed_row(out, exc))
    return events, dead


def failed_row(out: Output, exc: BaseException) -> list[Any]:
    """The dead_letters row of a message whose own row could not be built: its bytes, no envelope."""
    o = out.origin
    detail = f"the stream failed to store this message ({out.kind}): {type(exc).__name__}: {exc}"[:2000]
    return dead_letter_row(bytes(out.raw or b""), PROCESSING_ERROR, detail, (), topic=o.topic,
                           partition=o.partition, offset=o.offset)


def _insert_both(client: Any, database: str, events: list[list[Any]], dead: list[list[Any]]) -> tuple[int, int]:
    return insert_events(client, database, events), insert_dead_letters(client, database, dead)


async def store(outputs: Sequence[Output]) -> tuple[int, int]:
    """Write a batch's outcomes to the warehouse; returns (events, dead letters) written.

    Returns only when ClickHouse has every row (the writer retries for as long as it takes).
    """
    events, dead = rows_of(outputs)
    if not events and not dead:
        return 0, 0
    assert sink.writer is not None, "the worker sets the writer before it starts"
    n_events, n_dead = await sink.writer.run(_insert_both, events, dead,
                                             what=f"{len(events)} events and {len(dead)} dead letters")
    stats.count("sunk_events", n_events)
    stats.count("sunk_dead_letters", n_dead)
    return n_events, n_dead
