"""The inbound archive: every message the worker reads from ``cspr.events.inbound``, kept in
ClickHouse (``{db}.raw_inbound``) so that ``safeguarding up`` can replay it into a fresh broker.

Why the inbound messages and not the accepted events: the embedded broker (tansu) keeps nothing
across restarts, and the stream's state is more than the accepted events — events *held* while
their notification has not arrived are in neither ``raw_events`` nor ``dead_letters``, and the
duplicate and rejection counts of each case come from messages that were never accepted.
Replaying the inbound messages, in their original order within each partition and to the same
partition, makes the fresh worker take exactly the decisions the first one took: the same
events accepted with the same ``case_seq`` (the ReplacingMergeTree collapses the rows it already
had), the same dead letters (keyed by bytes and reason), the same events held, the same figures.

Row identity is the message's position ``(partition, offset)``. The replay publishes the archive
to the same partitions of an empty topic in offset order, so message *i* of a partition lands at
offset *i* again and is re-archived onto its own row (``streams.replay`` checks every offset the
broker gives back and refuses to go on if one differs). New messages follow at the next offsets.

The archive agent is a second agent on the inbound topic, enabled with ``safeguarding worker
--archive-inbound`` (``up`` enables it; ``run`` does not need it). Faust acks an inbound message
only when every agent reading it is done with it, and this agent returns from a batch only when
ClickHouse has it (through the sink's single ClickHouse thread, with its retries), so an inbound
offset is never committed for a message the archive does not hold.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from infra.warehouse.raw_store import check_database_name

log = logging.getLogger(__name__)
TABLE = "raw_inbound"
COLUMNS = ("partition", "offset", "key", "value")
BATCH, BATCH_SECONDS = 2000, 0.2


def ddl(database: str) -> str:
    db = check_database_name(database)
    return (
        f"CREATE TABLE IF NOT EXISTS {db}.{TABLE} (\n"
        "    partition   UInt32,\n"
        "    offset      UInt64,\n"
        "    key         Nullable(String),\n"
        "    value       String,\n"
        "    archived_at DateTime64(6, 'UTC') DEFAULT now64(6)\n"
        ") ENGINE = ReplacingMergeTree ORDER BY (partition, offset)"
    )


def ensure_archive(client: Any, database: str) -> None:
    client.command(f"CREATE DATABASE IF NOT EXISTS {check_database_name(database)}")
    client.command(ddl(database))


_ensured: set[tuple[int, str]] = set()


def insert_archive(client: Any, database: str, rows: Sequence[Sequence[Any]]) -> int:
    if rows:
        if (id(client), database) not in _ensured:
            ensure_archive(client, database)
            _ensured.add((id(client), database))
        client.insert(f"{check_database_name(database)}.{TABLE}", list(rows), column_names=list(COLUMNS))
    return len(rows)


def enable() -> None:
    """Attach the archive agent to the app (call before the worker starts, after the sink's writer
    is set)."""
    from streams import stats, topics
    from streams.app import app
    from streams.sink.agents import sink

    if getattr(enable, "done", False):
        return
    enable.done = True  # type: ignore[attr-defined]

    @app.agent(topics.inbound, name="streams.archive.archive_inbound")
    async def archive_inbound(stream: Any) -> None:
        """Every inbound message into raw_inbound, one insert per batch."""
        async for batch in stream.take_events(BATCH, within=BATCH_SECONDS):
            rows = [[e.message.partition, e.message.offset,
                     e.message.key, bytes(e.value or b"")] for e in batch]
            assert sink.writer is not None, "the worker sets the writer before it starts"
            stats.count("archived", await sink.writer.run(insert_archive, rows, what=f"{len(rows)} inbound messages"))
