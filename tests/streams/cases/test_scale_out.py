"""Two workers on the inbound topic's four partitions, the second joining in the middle of a replay
(a rebalance moves partitions, and their tables, from the first to it): nothing lost, nothing
twice, and the two workers' figures together equal the reference calculator's.

Each worker has its own chDB folder (one engine per process); production shares one ClickHouse,
whose ReplacingMergeTree by event id collapses what both wrote. Here: the union of the two raw
stores holds exactly the oracle's accepted events, each with the oracle's case_seq.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from infra.settings import load_settings
from producers.reference.figures import compute_figures
from producers.reference.history import replay
from tests.streams.test_pipeline import read_store

pytestmark = pytest.mark.integration
AS_OF = dt.date(2021, 3, 31)
TRICKLE = 25  # events published every 0.1 s while the second worker joins


def _history() -> list[bytes]:
    from producers.simulator.random_scenario import RandomOptions, generate

    return list(generate(RandomOptions(cases=2500, seed=11, start_year=2019, years=2)))


def _publish(bootstrap: str, lines: list[bytes], until: threading.Event | None = None) -> None:
    """Publish ``lines``; with ``until``, trickle them (a chunk every 0.1 s) until it is set, then the rest."""
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20)
    for i, raw in enumerate(lines):
        try:
            subject = json.loads(raw).get("subject")
        except ValueError:
            subject = None
        producer.send(load_settings().topic_inbound, key=subject.encode() if isinstance(subject, str) else None,
                      value=raw)
        if until is not None and i % TRICKLE == TRICKLE - 1 and not until.is_set():
            producer.flush()
            until.wait(0.1)
    producer.flush()
    producer.close()


_DUMP_SNAPSHOTS = """
import json, sys
from infra.settings import load_settings
from infra.warehouse import get_client
c = get_client(load_settings(), data_dir=sys.argv[1])
rows = c.query("SELECT * FROM cspr.pub_stream_figures FINAL").result_rows
print(json.dumps([[r[0].isoformat(), *r[1:]] for r in rows], default=str))
"""

_LIVE_FIGURES = """
import datetime as dt, json, sys
from dashboards.national_overview.panels import _LATEST_SNAPSHOT
from infra.settings import load_settings
from infra.warehouse import get_client
from infra.warehouse.raw_store import ensure_raw_store
from streams.figures.reconciliation import COLUMNS
c = get_client(load_settings(), data_dir=sys.argv[1])
ensure_raw_store(c, "cspr")
rows = [[dt.datetime.fromisoformat(r[0]), dt.date.fromisoformat(r[1]), *r[2:]] for r in json.load(sys.stdin)]
c.insert("cspr.pub_stream_figures", rows, column_names=list(COLUMNS))
got = c.query(_LATEST_SNAPSHOT.replace("${database}", "cspr")).result_rows
print(json.dumps({"figures": [[f, y, d, v] for f, y, d, v, _ in got],
                  "partitions": c.query("SELECT groupUniqArray(partition) FROM cspr.pub_stream_figures").result_rows[0][0]}))
"""


def _live_figures_of_both(dirs: list[Path], joined: Path) -> dict[str, Any]:
    """Both workers' ``pub_stream_figures`` rows in one warehouse (as production's one ClickHouse
    holds them; here each worker had its own chDB folder, one engine per process), and the live
    figures the dashboards read off them: each partition's latest snapshot, summed."""
    import subprocess
    import sys

    rows: list[Any] = []
    for d in dirs:
        proc = subprocess.run([sys.executable, "-c", _DUMP_SNAPSHOTS, str(d)], capture_output=True, text=True,
                              timeout=120, check=False)
        assert proc.returncode == 0, proc.stderr[-2000:]
        rows += json.loads(proc.stdout)
    proc = subprocess.run([sys.executable, "-c", _LIVE_FIGURES, str(joined)], input=json.dumps(rows),
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def _idle_together(workers: list[Any], timeout_s: float = 240) -> list[dict[str, Any]]:
    """Until both are idle with their partitions, twice in a row (one may still be joining)."""
    deadline = time.monotonic() + timeout_s
    settled = 0
    while time.monotonic() < deadline:
        statuses = [w.status() for w in workers]
        for w in workers:
            w.check_alive()
        if all(s and s["idle"] and all(v is not None for v in s["lag"].values()) for s in statuses):
            settled += 1
            if settled >= 3:
                return [w.status(fast=False) for w in workers]
        else:
            settled = 0
        time.sleep(0.5)
    raise AssertionError(f"the two workers did not settle: {[w.status() for w in workers]}")


def test_two_workers_with_a_rebalance_mid_replay_lose_nothing_and_count_nothing_twice(
        kafka_broker: Any, tmp_path: Path) -> None:
    from infra.stack.run import WorkerProcess
    from infra.topics import ensure_topics

    bootstrap = kafka_broker.bootstrap_servers
    ensure_topics(bootstrap, load_settings())
    lines = _history()
    # A third of the history before the first worker starts, the second third trickles in while
    # the second worker joins (so the rebalance comes while the first is busy), the last third once
    # it has joined: both take part, however fast the first worker is and however slow the second
    # is to start.
    third = len(lines) // 3
    _publish(bootstrap, lines[:third])
    joined = threading.Event()
    trickle = threading.Thread(target=_publish, args=(bootstrap, lines[third:2 * third], joined), daemon=True)
    oracle = replay(lines)
    dirs = [tmp_path / "w1", tmp_path / "w2"]
    for d in dirs:
        d.mkdir()
    first = WorkerProcess(bootstrap, dirs[0], dirs[0] / "worker.log")
    workers = [first]
    try:
        first.wait_ready(timeout_s=90)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and (first.status() or {}).get("consumed", 0) == 0:
            time.sleep(0.05)
        trickle.start()
        second = WorkerProcess(bootstrap, dirs[1], dirs[1] / "worker.log")
        workers.append(second)
        second.wait_ready(timeout_s=90)  # it has its partitions: the rebalance is done
        joined.set()
        trickle.join(120)
        _publish(bootstrap, lines[2 * third:])
        statuses = _idle_together(workers)
        assert all(s["consumed"] > 0 for s in statuses), statuses  # both took part
        figures = [w.get("/figures/notifications") for w in workers]
        periods = [w.get("/figures/period-change?from=2020-04-01&to=2020-09-30") for w in workers]
    finally:
        joined.set()
        for w in workers:
            w.stop()

    # the case tables: every accepted event counted once, in one worker's cases
    assert sum(s["case_table"]["accepted"] for s in statuses) == len(oracle.accepted)
    # the figures, added up over the workers' partitions
    want = compute_figures(lines, 2020, AS_OF)
    by_harm: Counter[str] = Counter()
    for got in figures:
        for month, row in got["by_month"].items():
            if month.startswith("2020"):
                by_harm.update({h: row[h] for h in ("death", "serious_harm", "other")})
    assert dict(by_harm) == {h: want["notifications"][h] for h in ("death", "serious_harm", "other")}
    assert sum(p["current"] for p in periods) == want["period_change"]["current"]
    assert sum(p["previous"] for p in periods) == want["period_change"]["previous"]
    # the live figures: both workers' snapshots in one warehouse, each partition's latest summed,
    # equal the reference calculator's (one worker's alone is not the whole)
    live = _live_figures_of_both(dirs, tmp_path / "joined")
    assert sorted(live["partitions"]) == [0, 1, 2, 3], live["partitions"]
    summed = {(f, y, d): v for f, y, d, v in live["figures"]}
    assert {h: summed["notifications", 2020, h] for h in ("death", "serious_harm", "other")} == \
        {h: want["notifications"][h] for h in ("death", "serious_harm", "other")}
    assert summed["notifications", 2020, "total"] == want["notifications"]["total"] > 0
    assert summed["period_change", 2020, "04-01..09-30|current"] == want["period_change"]["current"]
    assert summed["period_change", 2020, "04-01..09-30|previous"] == want["period_change"]["previous"]
    # the raw stores: together, the oracle's accepted events, each with its case_seq; none twice in one
    stores = [read_store(d) for d in dirs]
    union: dict[tuple[str, str], int] = {}
    for store in stores:
        keys = [(src, eid) for src, eid, _ in store["events"]]
        assert len(keys) == len(set(keys))
        for src, eid, seq in store["events"]:
            assert union.setdefault((src, eid), seq) == seq  # a moved partition's replay: same case_seq
    assert union == {(a.event.source, a.event.id.lower()): a.case_seq for a in oracle.accepted}
