"""The warehouse as the sink sees it: every ClickHouse call in one thread, retried until it succeeds.

The ClickHouse client is synchronous, so every call runs in a single worker thread (chDB is one
engine per process; one thread keeps its calls in order). A failed insert is retried with
backoff for as long as it takes, with a log line saying what it waits for: the agent does not
return from a batch until ClickHouse has it, so Faust acks (and commits) nothing before.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from infra.settings import Settings
from infra.warehouse import ensure_raw_store, get_client
from streams import stats

log = logging.getLogger(__name__)
BACKOFF_FIRST_S, BACKOFF_MAX_S = 0.5, 30.0


class Writer:
    """The warehouse as the sink sees it: the raw store ensured once, then calls in one thread."""

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

    async def run_blocking(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(*args)`` once in the ClickHouse thread, after every call queued before it (the
        worker's scheduled dbt builds: chDB stays on one thread, in order)."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def read(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(client, database, *args)`` once on the ClickHouse thread, behind any insert or
        build queued there (a reader, such as the live page: no retry, its error is its own)."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._call, *(fn, *args))


    def close(self) -> None:
        self._executor.shutdown(wait=True)
