"""Writing batches to the raw store: rows from Kafka messages, inserts in one thread, retries.

The ClickHouse client is synchronous, so every call runs in a single worker thread (chDB is one
engine per process; one thread keeps its calls in order). A failed insert is retried with
backoff for as long as it takes, with a log line saying what it waits for: the agent does not
return from a batch until ClickHouse has it, so Faust acks (and commits) nothing before.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.settings import Settings
from infra.warehouse import (
    dead_letter_row,
    ensure_raw_store,
    get_client,
    insert_dead_letters,
    insert_events,
    raw_event_row,
)
from infra.warehouse.raw_store import RawStoreError
from schemas import EventValidationError, parse_event
from streams import stats

log = logging.getLogger(__name__)
BACKOFF_FIRST_S, BACKOFF_MAX_S = 0.5, 30.0


@dataclass(frozen=True, slots=True)
class Message:
    """What the sink needs of one Kafka message."""

    value: bytes
    headers: dict[str, bytes]
    topic: str
    partition: int
    offset: int


def headers_of(message: Any) -> dict[str, bytes]:
    raw = message.headers or {}
    items = raw.items() if isinstance(raw, dict) else raw
    return {k: (v or b"") for k, v in items}


def event_rows(messages: Sequence[Message]) -> tuple[list[list[Any]], list[str]]:
    """raw_events rows for accepted events; messages that cannot be rows are reported, not dropped."""
    rows, problems = [], []
    for m in messages:
        try:
            event = parse_event(m.value)
            seq = int(m.headers.get("case_seq", b"0"))
            rows.append(raw_event_row(m.value, event, seq, m.topic, m.partition, m.offset))
        except (EventValidationError, RawStoreError, ValueError) as exc:
            problems.append(f"{m.topic}/{m.partition}/{m.offset}: {exc}")
    return rows, problems


def dead_letter_rows(messages: Sequence[Message]) -> list[list[Any]]:
    """dead_letters rows from the DLQ's messages and their headers."""
    import json

    rows = []
    for m in messages:
        h = m.headers
        try:
            problems = json.loads(h.get("problems", b"[]") or b"[]")
        except ValueError:
            problems = []
        rows.append(dead_letter_row(
            m.value, h.get("reason", b"unknown").decode(), h.get("detail", b"").decode("utf-8", "replace"),
            [(p.get("path", ""), p.get("message", "")) for p in problems if isinstance(p, dict)],
            topic=h.get("origin_topic", m.topic.encode()).decode(),
            partition=int(h.get("origin_partition", b"0") or 0),
            offset=int(h.get("origin_offset", b"0") or 0),
        ))
    return rows


class Writer:
    """The warehouse as the sink sees it: ensure the store once, insert batches, count rows."""

    def __init__(self, settings: Settings, data_dir: Path | None, database: str | None = None):
        self.settings = settings
        self.data_dir = data_dir
        self.database = database or settings.clickhouse_database
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clickhouse")
        self._client: Any = None

    def _ensure(self) -> Any:
        if self._client is None:
            client = get_client(self.settings, self.data_dir)
            ensure_raw_store(client, self.database)
            self._client = client
        return self._client

    def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        return fn(self._ensure(), self.database, *args)

    async def run(self, fn: Callable[..., Any], *args: Any, what: str) -> Any:
        """Run ``fn(client, database, *args)`` in the ClickHouse thread until it succeeds."""
        loop = asyncio.get_running_loop()
        wait = BACKOFF_FIRST_S
        while True:
            try:
                result = await loop.run_in_executor(self._executor, self._call, fn, *args)
                stats.waiting.pop("clickhouse", None)
                return result
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._client = None if "chdb" not in self.settings.clickhouse_url else self._client
                stats.waiting["clickhouse"] = f"to write {what} ({type(exc).__name__}); retrying every {wait:g} s"
                log.warning("ClickHouse unavailable (%s); waiting %.1f s to write %s — "
                            "Kafka offsets are not committed until it is written", exc, wait, what)
                await asyncio.sleep(wait)
                wait = min(wait * 2, BACKOFF_MAX_S)

    async def read(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(client, database, *args)`` once on the ClickHouse thread, behind any insert or
        build queued there (a reader, such as the live page: no retry, its error is its own)."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._call, *(fn, *args))

    async def insert_events(self, rows: list[list[Any]]) -> int:
        return int(await self.run(insert_events, rows, what=f"{len(rows)} events"))

    async def insert_dead_letters(self, rows: list[list[Any]]) -> int:
        return int(await self.run(insert_dead_letters, rows, what=f"{len(rows)} dead letters"))

    async def count(self, table: str) -> int:
        def _count(client: Any, database: str) -> int:
            return int(client.command(f"SELECT count() FROM {database}.{table} FINAL"))

        return int(await self.run(_count, what=f"count of {table}"))

    def close(self) -> None:
        self._executor.shutdown(wait=True)
