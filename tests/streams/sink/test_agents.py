"""The sink writes a batch's outcomes to the raw store (the session's chDB warehouse, a database of
its own): accepted events with their case_seq, rejects with their reason, each once however often
the batch is written."""

from __future__ import annotations

import asyncio
from typing import Any

from infra.settings import load_settings
from streams.cases.history import CaseProjection, Origin
from streams.sink import agents as sink
from streams.sink.writer import Writer
from tests.streams import events as e

S = "SIN-2020-000001"


def test_outcomes_land_in_raw_events_and_dead_letters_once_each(warehouse: Any, warehouse_db: str) -> None:
    sink.use_writer(Writer(load_settings(clickhouse_url="chdb"), warehouse.data_dir, warehouse_db))
    projection = CaseProjection({})
    outputs = []
    for offset, raw in enumerate([e.notified(S), e.submitted(S, "2020-05-20T00:00:00Z", "2020-05-20"),
                                  e.notified(S, time="2020-05-21T00:00:00Z"), b"{oops"]):
        outputs += projection.process(raw, Origin("cspr.events.inbound", 2, offset))

    async def scenario() -> list[tuple[int, int]]:
        return [await sink.store(outputs), await sink.store(outputs)]  # the second: a batch read again

    assert asyncio.run(scenario()) == [(2, 2), (2, 2)]
    rows = warehouse.client.query(
        f"SELECT type, case_seq, kafka_partition, kafka_offset FROM {warehouse_db}.raw_events FINAL "
        "ORDER BY case_seq").result_rows
    assert rows == [("uk.gov.cspr.incident.notified.v1", 1, 2, 0), ("uk.gov.cspr.rapid_review.submitted.v1", 2, 2, 1)]
    dead = warehouse.client.query(
        f"SELECT reason, origin_offset FROM {warehouse_db}.dead_letters FINAL ORDER BY origin_offset").result_rows
    assert dead == [("case_exists", 2), ("invalid_json", 3)]


def test_a_batch_with_nothing_to_store_writes_nothing() -> None:
    sink.use_writer(None)  # type: ignore[arg-type]
    projection = CaseProjection({})
    held = projection.process(e.submitted(S, "2020-05-20T00:00:00Z", "2020-05-20"), Origin("in", 0, 0))
    assert asyncio.run(sink.store(held)) == (0, 0)
