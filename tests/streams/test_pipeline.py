"""The whole stream on a real broker (Apache Kafka): producer SDK -> Kafka -> worker ->
ClickHouse, with a SIGKILL part-way, compared with the reference replay (the oracle).

One worker; the tests run in order and share it, to keep the suite quick:
1. the calibrated 2020 history, with the worker killed (SIGKILL) part-way and restarted, ends
   with every live figure and the raw store equal to the oracle's answer;
2. re-publishing the whole file changes nothing;
3. each kind of invalid event lands in the DLQ with its reason, and an event that arrives
   before its notification is counted as if in order.
The warehouse is read from a subprocess: chDB allows one data path per process.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.settings import load_settings
from producers.reference.figures import compute_figures
from producers.reference.history import replay
from tests.fixtures.warehouse import rows_in_a_new_process
from tests.streams import events as e

pytestmark = pytest.mark.integration

AS_OF = dt.date(2021, 3, 31)


def _calibrated() -> list[bytes]:
    from producers.simulator.report_2020 import build

    return build(2020)


def read_store(data_dir: Path) -> dict[str, Any]:
    """The raw store's rows, read in a child process (chDB: one data path per process)."""
    return rows_in_a_new_process(data_dir, events="SELECT source, event_id, case_seq FROM cspr.raw_events FINAL",
                                 dead_letters="SELECT reason, raw FROM cspr.dead_letters FINAL")


ANALYST_TOKEN = "analyst-token-for-tests"


class Pipeline:
    def __init__(self, bootstrap: str, data_dir: Path):
        from infra.stack.run import WorkerProcess

        self.bootstrap, self.data_dir = bootstrap, data_dir
        self.worker_class = WorkerProcess
        self.worker: Any = None
        self.published = 0
        self.sent_lines: list[bytes] = []

    def start_worker(self) -> None:
        self.worker = self.worker_class(self.bootstrap, self.data_dir, self.data_dir / "worker.log",
                                        env={"CSPR_ANALYST_TOKEN": ANALYST_TOKEN})
        self.worker.wait_ready(timeout_s=90)

    def publish(self, lines: list[bytes]) -> None:
        from kafka import KafkaProducer

        from producers.publishing.publisher import Publisher

        conf = load_settings()
        valid: list[bytes] = []
        invalid: list[bytes] = []
        for raw in lines:
            (valid if Publisher.check(raw).ok else invalid).append(raw)
        with Publisher.from_settings(conf, bootstrap_servers=self.bootstrap) as publisher:
            results = list(publisher.publish_many(valid))
        assert all(r.status == "sent" for r in results), [r.describe() for r in results if r.status != "sent"][:3]
        if invalid:  # the SDK refuses these; a careless partner's own client would not
            producer = KafkaProducer(bootstrap_servers=self.bootstrap, acks="all")
            for raw in invalid:
                producer.send(conf.topic_inbound, key=b"SIN-2020-999999", value=raw)
            producer.flush()
            producer.close()
        self.published += len(lines)
        self.sent_lines += lines

    def wait_idle(self, consumed: int) -> dict[str, Any]:
        return self.worker.wait_idle(consumed, timeout_s=180)

    def figures(self) -> dict[str, Any]:
        w = self.worker
        return {
            "period_change": w.get("/figures/period-change?from=2020-04-01&to=2020-09-30"),
            "timeliness": w.get(f"/figures/timeliness?year=2020&as_of={AS_OF}")["timeliness"],
            "bands": w.get("/figures/local-authorities?year=2020", ANALYST_TOKEN)["bands"],
            "notifications": w.get("/figures/notifications", ANALYST_TOKEN),
        }


@pytest.fixture(scope="module")
def pipeline(broker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    from infra.topics import ensure_topics

    ensure_topics(broker.bootstrap_servers, load_settings())
    p = Pipeline(broker.bootstrap_servers, tmp_path_factory.mktemp("stream"))
    p.start_worker()
    yield p
    p.worker.stop()


def _oracle_figures(lines: list[bytes]) -> dict[str, Any]:
    want = compute_figures(lines, 2020, AS_OF)
    return want


def test_calibrated_history_survives_a_sigkill_and_ends_equal_to_the_oracle(pipeline: Pipeline) -> None:
    lines = _calibrated()
    pipeline.publish(lines)
    # kill the worker part-way through the replay, with no chance to commit or flush
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = pipeline.worker.status()
        if status and status["consumed"] >= len(lines) // 3:
            break
        time.sleep(0.05)
    pipeline.worker.kill()
    pipeline.start_worker()
    pipeline.wait_idle(0)
    # a restarted worker re-reads only what was not committed; the cases before that come back
    # from its tables (a worker that lost them, or whose offsets ran ahead of its tables — the
    # table-write trap that committed offsets with an empty changelog — shows it here: fewer
    # accepted events than the oracle's, figures short); a replay counted twice shows more
    oracle = replay(lines)
    table = pipeline.worker.status(fast=False)["case_table"]
    assert table["accepted"] == len(oracle.accepted)
    want = _oracle_figures(lines)
    got = pipeline.figures()
    assert got["period_change"]["current"] == want["period_change"]["current"]
    assert got["period_change"]["previous"] == want["period_change"]["previous"]
    assert got["period_change"]["pct_change"] == want["period_change"]["pct_change"] == 27.0
    assert got["timeliness"] == want["rapid_review_timeliness"]
    assert got["bands"] == want["notifications_per_local_authority"]
    by_harm: Counter[str] = Counter()
    for month, row in got["notifications"]["by_month"].items():
        if month.startswith("2020"):
            by_harm.update({h: row[h] for h in ("death", "serious_harm", "other")})
    assert dict(by_harm) == {h: want["notifications"][h] for h in ("death", "serious_harm", "other")}
    # a viewer (no token) sees no small count: the same figures through the disclosure control
    exact = got["notifications"]["by_local_authority"]["2020"]
    # the first viewer answer solves every year's suppression (seconds each on a loaded machine)
    viewer = pipeline.worker.get("/figures/notifications", timeout_s=300)["by_local_authority"]["2020"]
    assert viewer.keys() == exact.keys() and "c" in viewer.values()
    assert all(viewer[la] == "c" for la, n in exact.items() if 1 <= n <= 2)
    assert all(text in ("c", str(exact[la])) for la, text in viewer.items())
    bands = pipeline.worker.get("/figures/local-authorities?year=2020")["bands"]
    assert "1-2" not in bands and bands["c"] == sum(1 for t in viewer.values() if t == "c")
    assert pipeline.worker.get("/figures/notifications", "a wrong token")["by_local_authority"]["2020"] == viewer
    overdue = pipeline.worker.get("/overdue")
    assert "reviews" not in overdue and overdue["count"] == len(pipeline.worker.get("/overdue", ANALYST_TOKEN)["reviews"])


def test_republishing_the_whole_file_changes_nothing(pipeline: Pipeline) -> None:
    before = pipeline.figures()
    lines = _calibrated()
    pipeline.publish(lines)
    status = pipeline.wait_idle(len(lines))
    assert status["duplicates"] >= len(lines) - 16, (status, pipeline.worker.status())
    assert pipeline.figures() == before


def test_invalid_events_are_dead_lettered_with_their_reason_and_late_notifications_count(pipeline: Pipeline) -> None:
    s, t, u, v = "SIN-2025-000001", "SIN-2025-000002", "SIN-2025-000003", "SIN-2025-000004"
    extra = [
        b"{not json",                                                         # invalid_json
        json.dumps({"type": "uk.gov.cspr.nothing.v1"}).encode(),              # unknown_type
        json.dumps({**json.loads(e.notified(s)), "name": "x"}).encode(),      # schema_violation
        e.submitted(t, "2025-01-05T09:00:00Z", "2025-01-05"),                 # before its notification ...
        e.notified(t, time="2025-01-05T10:00:00Z", notified_date="2025-01-05"),  # ... released in order
        e.notified(s, time="2025-01-05T10:00:00Z", notified_date="2025-01-05"),
        e.notified(s, time="2025-01-06T10:00:00Z", notified_date="2025-01-05"),  # case_exists
        e.submitted(s, "2025-01-06T10:00:00Z", "2025-01-05", la=e.OTHER_LA),  # source_not_authorised
        e.submitted(s, "2025-01-06T11:00:00Z", "2025-01-04"),                 # case_rule_violation
        e.feedback(u, "2025-01-06T10:00:00Z", "2025-01-06"),                  # held; never notified: stays held
        e.feedback(v, "2025-01-06T11:00:00Z", "2025-01-06"),                  # held ...
        e.withdrawn(t, "2025-01-14T10:00:00Z"),                               # (event time moves 7 days on)
        e.notified(v, time="2025-01-13T11:00:00Z", notified_date="2025-01-13"),  # ... within 7 days: accepted
    ]
    status_before = pipeline.worker.status()
    pipeline.publish(extra)
    pipeline.wait_idle(status_before["consumed"] + len(extra))
    status = pipeline.worker.get("/status", ANALYST_TOKEN)
    # u's event waits for its notification, shown on /status as more than 7 days behind the stream
    assert status["case_table"]["held"] == 1 and status["case_table"]["held_over_7_days"] == 1
    assert status["case_table"]["held_overdue"] == [
        {"subject": u, "source": "urn:cspr:panel", "time": "2025-01-06T10:00:00+00:00"}]
    # without the analyst token: the counts, never which case or authority waits
    viewer = pipeline.worker.status(fast=False)
    assert viewer is not None and viewer["case_table"]["held_over_7_days"] == 1
    assert "held_overdue" not in viewer["case_table"] and u not in json.dumps(viewer)
    pipeline.worker.stop()
    store = read_store(pipeline.data_dir)
    oracle = replay(pipeline.sent_lines)
    reasons = Counter(r for r, _ in store["dead_letters"])
    assert reasons == Counter({"invalid_json": 1, "unknown_type": 1, "schema_violation": 1, "case_exists": 1,
                               "source_not_authorised": 1, "case_rule_violation": 1})
    # the oracle counts u's event, still held at the end of its input, unknown_case
    assert reasons + Counter({"unknown_case": 1}) == Counter(r.reason for r in oracle.rejected)
    # the raw store holds exactly the oracle's accepted events, once each, with its case_seq
    got = {(src, eid): seq for src, eid, seq in store["events"]}
    want = {(a.event.source, a.event.id.lower()): a.case_seq for a in oracle.accepted}
    assert len(store["events"]) == len(got)
    assert got == want
