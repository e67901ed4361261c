"""Snapshots of the live figures into ``{db}.stream_figures``, for the reconciliation with dbt.

A service of the worker checks every ``TICK_S`` and writes a snapshot (``reconciliation.
snapshot_rows`` of each inbound partition the worker holds, ``live.by_partition()``, as at the
worker's date in UTC; the readers take each partition's latest snapshot and sum them, so two
workers' snapshots together are the whole) when:

- the stream has gone quiet with figures the last snapshot lacks: the case stage has committed
  every inbound message it was given and nothing was written in the last tick (so a snapshot is
  a settled state, not the middle of a burst: dbt compares it with marts built from the same
  raw events);
- the stream has kept busy for ``EVERY_S`` since the last snapshot, so during a long burst
  Grafana's live panels are at most about ``EVERY_S`` plus their 10 s reload behind. A snapshot is
  one pass over the live book's counts, which are kept by date, not by case (bounded by days x
  buckets whatever the volume): 0.1 s for a 500-case history, 0.5-0.9 s for 5,000 cases (21,000
  events) on this machine at load 8-15, so every 10 s costs the worker's loop 1-9 per cent while
  busy and caught up (it was every 60 s);
- the date changed (elapsed working days, and the overdue list, move on with no event);
- the worker stops with figures the last snapshot lacks (``safeguarding run`` stops the worker
  as soon as it is idle, possibly before the next tick).

The rows go through the sink's writer (its one ClickHouse thread, with its retries): the worker
opens no other client. The table is part of the raw store's DDL (infra/clickhouse/raw_store.sql),
so the writer's store check creates it, and production's init script creates it for the
insert-only ``ingest`` user.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from typing import Any

from mode import Service

from infra.warehouse.raw_store import check_database_name
from streams import stats
from streams.app import app
from streams.figures.public import public_rows
from streams.figures.reconciliation import COLUMNS, snapshot_rows

log = logging.getLogger(__name__)
TABLE = "stream_figures"
PUBLIC_TABLE = "pub_stream_figures"
TICK_S = 0.5
EVERY_S = 10.0


def insert_snapshot(client: Any, database: str, rows: list[list[Any]]) -> int:
    """The snapshot into ``stream_figures``, then its national rows into ``pub_stream_figures``
    (what Grafana's viewers see, ``streams.figures.public``)."""
    if rows:
        db = check_database_name(database)
        client.insert(f"{db}.{TABLE}", rows, column_names=list(COLUMNS))
        client.insert(f"{db}.{PUBLIC_TABLE}", public_rows(rows), column_names=list(COLUMNS))
    return len(rows)


def _version() -> int:
    return stats.counts["sunk_events"] + stats.counts["sunk_dead_letters"]


def _caught_up() -> bool:
    from streams.views import inbound_lag

    return inbound_lag() == 0


class Snapshots:
    """When the last snapshot was taken, and of what; ``due`` decides on the next one."""

    def __init__(self) -> None:
        self.version: int | None = None   # _version() the last snapshot saw
        self.as_of: dt.date | None = None
        self.at = 0.0                     # time.monotonic() of the last snapshot
        self.previous_tick: int | None = None
        self.written = 0

    def due(self, version: int, today: dt.date, caught_up: bool, now: float) -> bool:
        quiet = version == self.previous_tick
        self.previous_tick = version
        if not caught_up:
            return False
        changed = version != self.version
        return (changed and (quiet or now - self.at >= EVERY_S)) or (self.as_of is not None and today != self.as_of)

    async def take(self) -> int:
        """Write a snapshot of the live figures now; returns the rows written."""
        from streams.cases.agents import live
        from streams.sink.agents import sink

        version = _version()
        taken_at = dt.datetime.now(dt.UTC)
        as_of = taken_at.date()
        # in the loop: the pages change in it. One snapshot per inbound partition this worker
        # holds: the other worker writes the others', and the readers sum each one's latest.
        rows = [row for partition, (book, accepted) in live.by_partition().items()
                for row in snapshot_rows(book, as_of, taken_at, accepted, partition)]
        assert sink.writer is not None, "the worker sets the writer before it starts"
        n = int(await sink.writer.run(insert_snapshot, rows, what=f"a figures snapshot ({len(rows)} rows)"))
        self.version, self.as_of, self.at = version, as_of, time.monotonic()
        self.written += 1
        stats.count("figure_snapshots")
        log.info("figures snapshot as at %s: %d rows", as_of, n)
        return n


snapshots = Snapshots()


@app.service
class SnapshotService(Service):
    """Takes the snapshots (see the module's docstring)."""

    @Service.task
    async def _take_snapshots(self) -> None:
        while not self.should_stop:
            await self.sleep(TICK_S)
            today = dt.datetime.now(dt.UTC).date()
            if snapshots.due(_version(), today, _caught_up(), time.monotonic()):
                try:
                    await snapshots.take()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # a snapshot must not stop the stream; the next tick retries
                    log.error("figures snapshot failed: %s", exc)

    async def on_stop(self) -> None:
        if _version() != snapshots.version:
            try:
                await asyncio.wait_for(snapshots.take(), timeout=20)
            except Exception as exc:  # stopping anyway; the next start takes one
                log.warning("no figures snapshot at stop: %s", exc)
