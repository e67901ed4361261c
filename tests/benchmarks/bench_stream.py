"""The stream end to end: a 300,000-event random history (50,000 cases) through one worker, on
the embedded broker (Apache Kafka, KRaft, the project's own jars) and chDB.

Prints, from one run on one broker:
- end-to-end throughput: events/s from the worker starting on a full inbound topic to every
  event counted (case tables) and every accepted row in ClickHouse (the worker is idle), and the
  worker's CPU time over it;
- beside it, a bare aiokafka consumer + ``parse_event`` on the same topic (the ceiling);
- p50/p99 publish-to-count latency at 500 events/s offered to the running worker;
- the worker's peak RSS (chDB inside);
- table recovery: a restart to idle with the tables on local RocksDB files, and with those files
  deleted (every case recovered from the changelog topics).
Targets (issue 11): >= 8,000 events/s end to end, never below 4,000; p99 < 2 s; recovery of
50,000 cases < 10 s; RSS < 600 MiB. ``CSPR_BENCH_EVENTS`` runs a smaller history.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

EVENTS = int(os.environ.get("CSPR_BENCH_EVENTS", "300000"))
LATENCY_RATE = 500
LATENCY_SECONDS = 10


def _history(n: int) -> list[bytes]:
    from producers.simulator.random_scenario import RandomOptions, generate

    lines: list[bytes] = []
    cases = n // 6
    while len(lines) < n:
        lines = list(generate(RandomOptions(cases=cases, seed=7, start_year=2019, years=2)))
        cases = int(cases * n / max(len(lines), 1)) + 1
    return lines[:n]


def _bare_consumer_rate(bootstrap: str, topic: str, n: int) -> float:
    from aiokafka import AIOKafkaConsumer

    from schemas import EventValidationError, parse_event

    async def consume() -> float:
        consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                    enable_auto_commit=False, group_id=None, fetch_max_wait_ms=10)
        await consumer.start()
        try:
            seen = 0
            started = time.perf_counter()
            while seen < n:
                batches = await consumer.getmany(timeout_ms=1000, max_records=10_000)
                for records in batches.values():
                    for record in records:
                        try:  # noqa: SIM105 - cheaper than contextlib.suppress per event
                            parse_event(record.value)
                        except EventValidationError:
                            pass
                    seen += len(records)
            return seen / (time.perf_counter() - started)
        finally:
            await consumer.stop()

    return asyncio.run(consume())


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_rss_mib(pid: int) -> float:
    """A process's peak resident set so far (VmHWM), MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _status(port: int, fast: bool = True) -> dict:
    url = f"http://127.0.0.1:{port}/status" + ("?fast=1" if fast else "")
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.loads(resp.read())


def main(events: int = EVENTS) -> None:
    from kafka import KafkaProducer

    from infra.brokers import EmbeddedBroker
    from infra.settings import load_settings
    from infra.stack.run import WorkerProcess, subject_of
    from infra.topics import ensure_topics
    from producers.reference.history import replay

    conf = load_settings()
    lines = _history(events)
    oracle = replay(lines)
    print(f"history: {len(lines):,} events ({len(oracle.accepted):,} accepted, {oracle.duplicates:,} duplicates, "
          f"{len(oracle.rejected):,} rejected by the oracle)")
    with tempfile.TemporaryDirectory() as tmp, EmbeddedBroker(tmp) as broker:
        bootstrap = broker.bootstrap_servers
        ensure_topics(bootstrap, conf)
        producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20, batch_size=512 * 1024,
                                 compression_type="lz4")
        started = time.perf_counter()
        for raw in lines:
            # keyed by case, as partners publish (the simulator writes '"subject":"' without a space:
            # a byte search for '"subject": "' keyed every event '{' on one partition)
            producer.send(conf.topic_inbound, key=subject_of(raw), value=raw)
        producer.flush()
        print(f"published {len(lines):,} in {time.perf_counter() - started:.1f} s (kafka-python, lz4)")

        bare = _bare_consumer_rate(bootstrap, conf.topic_inbound, len(lines))
        print(f"bare aiokafka consumer + parse_event: {bare:,.0f} events/s")

        worker = WorkerProcess(bootstrap, Path(tmp), Path(tmp) / "worker.log")
        try:
            worker.wait_ready(timeout_s=120)
            cpu_before = _cpu_seconds(worker.process.pid)
            started = time.perf_counter()
            status = worker.wait_idle(len(lines), timeout_s=1800)
            elapsed = time.perf_counter() - started - 2 * 0.25  # the idle check needs two polls
            cpu = _cpu_seconds(worker.process.pid) - cpu_before
            totals = _status(worker.port, fast=False)["case_table"]
            assert totals["accepted"] == len(oracle.accepted), (totals, len(oracle.accepted))
            rate = len(lines) / elapsed
            print(f"end to end (inbound -> case tables + figures + ClickHouse rows): {rate:,.0f} "
                  f"events/s ({elapsed:.1f} s; sunk {status['sunk']['events']:,} events, "
                  f"{status['sunk']['dead_letters']:,} dead letters) = {rate / bare:.1%} of the ceiling")
            print(f"worker CPU over it: {cpu:.1f} s ({cpu / len(lines) * 1e6:.0f} µs per event, "
                  f"{cpu / elapsed:.2f} cores; the Python side runs on one core)")

            # latency: new cases at 500 events/s; each is counted when the worker's accepted count passes it
            from tests.streams import events as e

            n = LATENCY_RATE * LATENCY_SECONDS
            base = _status(worker.port)["accepted"]
            sent_at: list[float] = []
            counted_at: list[float] = []
            interval = 1.0 / LATENCY_RATE
            next_send = time.perf_counter()
            next_poll = next_send
            for i in range(n):
                while time.perf_counter() < next_send:
                    if time.perf_counter() >= next_poll:
                        _poll(worker.port, base, counted_at)
                        next_poll = time.perf_counter() + 0.01
                    time.sleep(0.0005)
                case_id = f"LAT-{i:08d}"
                producer.send(conf.topic_inbound, key=case_id.encode(),
                              value=e.notified(case_id, time="2021-01-04T10:00:00Z", notified_date="2021-01-04"))
                if i % 5 == 4:
                    producer.flush()
                sent_at.append(time.perf_counter())
                next_send += interval
            producer.flush()
            deadline = time.perf_counter() + 30
            while len(counted_at) < n and time.perf_counter() < deadline:
                _poll(worker.port, base, counted_at)
                time.sleep(0.01)
            latencies = sorted(c - s for s, c in zip(sent_at, counted_at, strict=False))
            p50 = statistics.median(latencies)
            p99 = latencies[int(len(latencies) * 0.99) - 1]
            print(f"publish-to-count latency at {LATENCY_RATE} events/s offered: p50 {p50 * 1000:.0f} ms, "
                  f"p99 {p99 * 1000:.0f} ms ({len(latencies):,} of {n:,} events counted)")
            print(f"worker peak RSS: {_peak_rss_mib(worker.process.pid):,.0f} MiB")
            cases = _status(worker.port, fast=False)["case_table"]["cases"]  # the latency run's cases too
        finally:
            worker.stop()
            producer.close()
        _recovery(bootstrap, Path(tmp), cases)


def _recovery(bootstrap: str, data_dir: Path, cases: int) -> None:
    """Restart to idle: with the tables' local RocksDB files, then with them deleted."""
    from infra.stack.run import WorkerProcess

    for what in ("from local RocksDB + changelog since", "from the changelog topics alone"):
        if what.endswith("alone"):
            shutil.rmtree(data_dir / "stream")
        started = time.perf_counter()
        worker = WorkerProcess(bootstrap, data_dir, data_dir / "worker.log")
        try:
            worker.wait_ready(timeout_s=300)
            status = worker.wait_idle(0, timeout_s=300)
            elapsed = time.perf_counter() - started - 2 * 0.25
            read_again = status["consumed"]  # what the last stop left uncommitted (the latency run's tail)
            recovered = _status(worker.port, fast=False)["case_table"]["cases"]
            assert recovered == cases, (recovered, cases)
        finally:
            worker.stop()
        print(f"restart to idle, {cases:,} cases {what}: {elapsed:.1f} s (process start included; "
              f"{read_again:,} inbound messages read again)")


def _poll(port: int, base: int, counted_at: list[float]) -> None:
    """Every event counted since the last poll is stamped with this poll's time."""
    accepted = _status(port)["accepted"] - base
    now = time.perf_counter()
    counted_at.extend([now] * max(accepted - len(counted_at), 0))
