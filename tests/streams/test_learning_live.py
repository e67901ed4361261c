"""Contract v2 through a real broker (Apache Kafka): the calibrated v2 history and a random v2
history (duplicates, out-of-order and invalid events) published by the SDK, read by the worker.
Partnership events are accepted and stored once each, never held or dead-lettered unknown_case;
the live learning figures equal the reference calculator's; a viewer gets them suppressed."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from infra.settings import load_settings
from producers.reference.history import replay
from producers.simulator import random_history, report_2020
from tests.streams.figures.learning_reference import reference_live
from tests.streams.test_pipeline import ANALYST_TOKEN, Pipeline, read_store

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def pipeline(broker: Any, tmp_path_factory: pytest.TempPathFactory):
    from infra.topics import ensure_topics

    ensure_topics(broker.bootstrap_servers, load_settings())
    p = Pipeline(broker.bootstrap_servers, tmp_path_factory.mktemp("learning"))
    p.start_worker()
    yield p
    p.worker.stop()


def test_v2_histories_through_kafka_give_the_reference_learning_and_store_partnerships_once(pipeline) -> None:
    options = {"start_year": 2022, "years": 1, "duplicate_rate": 0.03, "out_of_order_rate": 0.03, "invalid_rate": 0.02}
    lines = report_2020(0, "v2") + list(random_history(300, seed=29, contract="v2", **options))
    pipeline.publish(lines)
    pipeline.wait_idle(len(lines))
    for year in (2020, 2022):
        got = pipeline.worker.get(f"/figures/learning?year={year}", ANALYST_TOKEN)
        # the answer names what it is of (as_of, the latest event read), then the figures
        assert got.pop("as_of") and got.pop("latest_event_time")
        assert got == reference_live(lines, year), year
    assert got["partnerships"]["partnerships"] >= 121
    viewer = pipeline.worker.get("/figures/learning?year=2020", timeout_s=120)
    exact = pipeline.worker.get("/figures/learning?year=2020", ANALYST_TOKEN)
    for group, counts in exact["practice_themes"].items():
        for item, n in counts.items():
            assert viewer["practice_themes"][group][item] in ("c", str(n))
    status = pipeline.worker.status(fast=False)
    held = status["case_table"]["held"]  # case events whose notification never came (random history)
    assert status["case_table"]["partnerships"] == exact["partnerships"]["partnerships"] > 0
    pipeline.worker.stop()
    store = read_store(pipeline.data_dir)
    oracle = replay(lines)
    # every rejection is the oracle's (which counts a still-held case event unknown_case at the end):
    # no partnership event among them
    reasons = Counter(r for r, _ in store["dead_letters"])
    assert reasons + Counter({"unknown_case": held} if held else {}) == Counter(r.reason for r in oracle.rejected)
    assert not any(b"uk.gov.cspr.partnership." in r.raw for r in oracle.rejected)
    got_rows = Counter((src, eid) for src, eid, _ in store["events"])
    want = {(a.event.source, a.event.id.lower()): a.case_seq for a in (*oracle.accepted, *oracle.partnerships)}
    assert len(oracle.partnerships) > 121 and all(n == 1 for n in got_rows.values())
    assert {(src, eid): seq for src, eid, seq in store["events"]} == want
