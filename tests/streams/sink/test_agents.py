"""The sink agent writes each batch of accepted events to the raw store (agent.test_context(),
the session's chDB warehouse, a database of its own)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from infra.settings import load_settings
from streams.sink import agents as sink
from streams.sink.writer import Writer
from tests.streams import events as e


def test_accepted_events_land_in_raw_events_with_their_case_seq_once_each(warehouse: Any, warehouse_db: str) -> None:
    writer = Writer(load_settings(clickhouse_url="chdb"), warehouse.data_dir, warehouse_db)
    sink.use_writer(writer)
    first = e.notified("SIN-2020-000001")
    second = e.submitted("SIN-2020-000001", "2020-05-20T00:00:00Z", "2020-05-20")

    async def scenario() -> None:
        async with sink.sink_events.test_context() as agent:
            await agent.put(first, key=b"SIN-2020-000001", headers={"case_seq": b"1"})
            await agent.put(second, key=b"SIN-2020-000001", headers={"case_seq": b"2"})
            await agent.put(first, key=b"SIN-2020-000001", headers={"case_seq": b"1"})  # redelivered
            for _ in range(100):
                rows = warehouse.client.command(f"SELECT count() FROM {warehouse_db}.raw_events")
                if int(rows) >= 3:
                    break
                await asyncio.sleep(0.05)

    asyncio.run(scenario())
    rows = warehouse.client.query(
        f"SELECT type, case_seq FROM {warehouse_db}.raw_events FINAL ORDER BY case_seq").result_rows
    assert rows == [("uk.gov.cspr.incident.notified.v1", 1), ("uk.gov.cspr.rapid_review.submitted.v1", 2)]


@pytest.mark.parametrize("header", [{}, {"case_seq": b"x"}])
def test_a_message_that_is_not_an_accepted_event_is_reported_not_stored(header: dict[str, bytes]) -> None:
    from streams.sink.writer import Message, event_rows

    rows, problems = event_rows([Message(e.notified("SIN-2020-000001"), header, "cspr.events", 0, 7)])
    assert rows == [] and problems and problems[0].startswith("cspr.events/0/7")
