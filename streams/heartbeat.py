"""The worker's heartbeat into ``{db}.stream_heartbeats``, and the alert conditions it shows.

Every ``HEARTBEAT_EVERY_S`` the worker writes one row: how many inbound messages it has not yet
committed (``/status``'s lags), what is in flight to the sink, and its watermark. Grafana's
stream-lag and stream-silent alert rules read these rows (infra/warehouse/alerts.py): the lag is
the worker's own measure of the broker's end offsets against its commits, and a worker that
writes none is down or cannot reach ClickHouse.

In the embedded stack (chDB in this process, the marts built here by ``--schedule-dbt``) the same
service also evaluates every alert rule against the warehouse after each heartbeat
(``infra.warehouse.alerts.evaluate``, on the sink's one ClickHouse thread) and keeps the outcome
for ``/status`` (``alert_states``). A production worker (the insert-only ``ingest`` user) does not:
Grafana evaluates the rules there.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import socket
from collections.abc import Mapping
from typing import Any

from mode import Service

from infra.warehouse.alerts import HEARTBEAT_EVERY_S, evaluate
from infra.warehouse.raw_store import check_database_name
from streams import stats
from streams.app import app

log = logging.getLogger(__name__)
TABLE = "stream_heartbeats"
COLUMNS = ("taken_at", "worker", "lag_messages", "relay_lag", "in_flight", "consumed", "watermark")
WORKER = f"{socket.gethostname()}:{os.getpid()}"

_alerts: dict[str, Any] = {"evaluated_at": None, "rules": None}
thresholds: dict[str, float] = {}  # per-rule overrides for this stack's schedule (uid -> threshold)


def heartbeat_row(lags: dict[str, int | None], counts: Mapping[str, int], watermark: dt.datetime | None,
                  taken_at: dt.datetime) -> list[Any]:
    """One ``stream_heartbeats`` row (``COLUMNS`` order) from ``/status``'s lags by topic (the
    inbound topic first, then the partners' topics under ``<inbound>.*``) and the counters (a
    counter not counted yet is 0)."""
    values = list(lags.values())
    inbound = values[0] if values else None
    relay = values[1] if len(values) > 1 else None
    c = {k: int(counts.get(k, 0)) for k in ("sent_events", "sunk_events", "sent_dead_letters", "sunk_dead_letters",
                                              "consumed")}
    in_flight = (c["sent_events"] - c["sunk_events"]) + (c["sent_dead_letters"] - c["sunk_dead_letters"])
    return [taken_at, WORKER, -1 if inbound is None else inbound, -1 if relay is None else relay,
            max(in_flight, 0), c["consumed"], watermark]


def insert_heartbeat(client: Any, database: str, row: list[Any]) -> int:
    client.insert(f"{check_database_name(database)}.{TABLE}", [row], column_names=list(COLUMNS))
    return 1


def alert_states() -> dict[str, Any]:
    """The alert rules as last evaluated here (``/status``'s ``alerts``): ``{"evaluated_at": ISO
    time or None, "rules": [evaluate()'s dicts] or None}``; None until the first evaluation, and
    always in a worker that does not own its warehouse (production)."""
    return dict(_alerts)


def _evaluate_here(client: Any, database: str) -> list[dict[str, Any]]:
    from streams.schedule import state

    limits = dict(thresholds)
    every = state.get("every_s")
    if every:  # --schedule-dbt: one full build every `every` s, no separate refresh
        limits.setdefault("cspr-stale-marts", 2 * float(every) + 300)
        limits.setdefault("cspr-stale-build", 2 * float(every) + 300)
    try:
        return evaluate(client, database, thresholds=limits)
    except Exception as exc:  # never raise into the writer's retry loop: the next beat tries again
        log.warning("alert rules not evaluated: %s", exc)
        return []


@app.service
class HeartbeatService(Service):
    """Writes the heartbeat (and, on chDB, evaluates the alert rules) every HEARTBEAT_EVERY_S."""

    @Service.task
    async def _beat(self) -> None:
        from infra.settings import settings
        from infra.warehouse.client import uses_chdb
        from streams.cases.agents import live
        from streams.sink.agents import sink
        from streams.views import lags

        while not self.should_stop:
            await self.sleep(HEARTBEAT_EVERY_S)
            if sink.writer is None:
                continue
            try:
                row = heartbeat_row(lags(), stats.counts, live.projection.watermark, dt.datetime.now(dt.UTC))
                await sink.writer.run(insert_heartbeat, row, what="a heartbeat")
                if uses_chdb(settings(), sink.writer.data_dir):
                    rules = await sink.writer.run(_evaluate_here, what="the alert rules")
                    _alerts.update(evaluated_at=dt.datetime.now(dt.UTC).isoformat(), rules=rules)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a heartbeat must not stop the stream; the next one retries
                log.error("heartbeat failed: %s", exc)
