"""The validation and case agent under ``agent.test_context()``: messages are put straight into the
agent; its case table writes its changelog, and its sends go, to a real tansu broker (the table's
partitioner needs the broker's metadata, so this is an integration test)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from infra.settings import load_settings
from tests.streams import events as e

pytestmark = pytest.mark.integration
S = "SIN-2020-000001"


@pytest.fixture(scope="module")
def configured_app(tansu_broker: Any) -> Iterator[Any]:
    from infra.topics import ensure_topics
    from streams.app import configure

    ensure_topics(tansu_broker.bootstrap_servers, load_settings())
    yield configure(load_settings(), broker=tansu_broker.bootstrap_servers)


async def _with_producer(app: Any, body: Any) -> None:
    from streams import topics
    from streams.cases import agents

    await app.producer.start()
    try:
        for topic in (agents.cases.changelog_topic, topics.events, topics.dead_letters):
            await topic.maybe_declare()
            await app.producer._ensure_producer().partitions_for(topic.get_topic_name())
        await body()
    finally:
        await app.producer.stop()


def test_the_agent_counts_accepts_dead_letters_and_updates_the_live_figures(configured_app: Any) -> None:
    from streams import stats
    from streams.cases import agents

    stats.reset()
    notification = e.notified(S)

    async def body() -> None:
        async with agents.project_cases.test_context() as agent:
            for raw in (e.submitted(S, "2020-05-04T09:00:00Z", "2020-05-04"), notification, notification,
                        e.notified(S, time="2020-05-05T10:00:00Z"), b"{oops"):
                await agent.put(raw, key=S.encode())
            for _ in range(100):
                if stats.counts["consumed"] >= 5:
                    break
                await asyncio.sleep(0.05)

    asyncio.run(_with_producer(configured_app, body))
    assert stats.counts["consumed"] == 5
    assert stats.counts["accepted"] == 2 and stats.counts["sent_events"] == 2
    assert stats.counts["duplicates"] == 1
    assert dict(stats.rejected_by_reason) == {"case_exists": 1, "invalid_json": 1}
    state = agents._TableByText(agents.cases).get(S)
    assert state["seq"] == 2 and state["held"] == []
    book = agents.live.book
    assert book.counts["n|2020-05-04|death"] == 1
    # the review arrived before its notification and was released in order: received, 0 working days
    assert book.counts["rr|2020-05-04|1-15|2020-05-04"] == 1
