"""Snapshots per inbound partition (two workers each write the partitions they hold): the live
figures are each partition's latest snapshot, summed, on the real chDB engine; and a warehouse
made before the partition column gets it."""

from __future__ import annotations

import datetime as dt
import zlib

from dashboards.national_overview.panels import _LATEST_SNAPSHOT
from infra.warehouse.raw_store import ensure_raw_store
from streams.figures.public import NATIONAL_FIGURES
from streams.figures.reconciliation import COLUMNS, figure_rows, snapshot_rows
from streams.figures.snapshots import PUBLIC_TABLE, TABLE, insert_snapshot
from tests.dbt.random_history import random_history
from tests.streams.figures.folding import stream_fold

AS_OF = dt.datetime.now(dt.UTC).date()
T0 = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


def partition_of(raw: bytes, partitions: int = 2) -> int:
    """A message's partition by its case (any split by case will do: a case is in one partition)."""
    import json

    try:
        subject = json.loads(raw).get("subject")
    except (ValueError, AttributeError):
        subject = None
    return zlib.crc32(subject.encode()) % partitions if isinstance(subject, str) else 0


def split(messages: list[bytes]) -> list[list[bytes]]:
    parts: list[list[bytes]] = [[], []]
    for raw in messages:
        parts[partition_of(raw)].append(raw)
    return parts


def live_figures(client, db: str) -> dict[tuple[str, int, str], tuple[int, dt.datetime]]:
    """The dashboards' live figures (national overview's query) off ``pub_stream_figures``."""
    result = client.query(_LATEST_SNAPSHOT.replace("${database}", db))
    return {(f, y, d): (v, t) for f, y, d, v, t in result.result_rows}


def test_the_live_figures_are_each_partitions_latest_snapshot_summed(warehouse, warehouse_db) -> None:
    messages = random_history(seed=3, cases=150)
    whole, _, whole_accepted = stream_fold(messages)
    parts = split(messages)
    assert all(parts), "both partitions hold cases"
    folds = [stream_fold(part) for part in parts]
    assert sum(accepted for _, _, accepted in folds) == whole_accepted
    client = warehouse.client
    # partition 0: a snapshot of its first half, then of all of it (the latest: T0 + 1 s);
    # partition 1: all of it at T0 + 5 s (the other worker, later)
    half, _, half_accepted = stream_fold(parts[0][: len(parts[0]) // 2])
    insert_snapshot(client, warehouse_db, snapshot_rows(half, AS_OF, T0, half_accepted, 0))
    insert_snapshot(client, warehouse_db, snapshot_rows(folds[0][0], AS_OF, T0 + dt.timedelta(seconds=1),
                                                        folds[0][2], 0))
    insert_snapshot(client, warehouse_db, snapshot_rows(folds[1][0], AS_OF, T0 + dt.timedelta(seconds=5),
                                                        folds[1][2], 1))

    got = live_figures(client, warehouse_db)
    want = {(r.figure, r.year, r.dimension): r.value for r in figure_rows(whole, AS_OF, whole_accepted)
            if r.figure in NATIONAL_FIGURES}
    assert {k: v for k, (v, _) in got.items()} == want
    assert {t.replace(tzinfo=None) for _, t in got.values()} == {(T0 + dt.timedelta(seconds=5)).replace(tzinfo=None)}
    assert sum(
        v for (f, _, d), v in want.items() if f == "notifications" and d == "total") > 100

    # the full table holds both partitions' rows of one snapshot moment apart (the key has the partition)
    same = T0 + dt.timedelta(seconds=20)
    for p, (book, _, accepted) in enumerate(folds):
        insert_snapshot(client, warehouse_db, snapshot_rows(book, AS_OF, same, accepted, p))
    n = client.query(f"SELECT uniqExact(partition), count() FROM {warehouse_db}.{TABLE} FINAL "
                     f"WHERE taken_at = '{same:%Y-%m-%d %H:%M:%S}'").result_rows[0]
    assert n[0] == 2 and n[1] == sum(len(figure_rows(b, AS_OF, a)) for b, _, a in folds)
    assert {k: v for k, (v, _) in live_figures(client, warehouse_db).items()} == want


def test_a_warehouse_made_before_the_partition_column_gets_it_keyed(warehouse) -> None:
    db = "old_" + dt.datetime.now().strftime("%H%M%S%f")
    client = warehouse.client
    client.command(f"CREATE DATABASE {db}")
    try:
        for table in (TABLE, PUBLIC_TABLE):
            client.command(f"CREATE TABLE {db}.{table} (taken_at DateTime64(6, 'UTC'), as_of Date, "
                           "figure LowCardinality(String), year UInt16, dimension String, value Int64) "
                           "ENGINE = ReplacingMergeTree ORDER BY (taken_at, figure, year, dimension)")
            client.insert(f"{db}.{table}", [[T0, AS_OF, "notifications", 2020, "total", 7]],
                          column_names=list(COLUMNS[:-1]))
        ensure_raw_store(client, db)
        ensure_raw_store(client, db)  # again: nothing left to add
        for table in (TABLE, PUBLIC_TABLE):
            key = client.query(f"SELECT sorting_key FROM system.tables WHERE database = '{db}' "
                               f"AND name = '{table}'").result_rows[0][0]
            assert key == "taken_at, figure, year, dimension, partition", key
            assert client.query(f"SELECT partition, value FROM {db}.{table}").result_rows == [(0, 7)]
        # the old whole-worker snapshot stands for every partition (as partition 0) until each
        # partition has its own: then only they are summed
        assert {k: v for k, (v, _) in live_figures(client, db).items()} == {("notifications", 2020, "total"): 7}
        later = T0 + dt.timedelta(seconds=1)
        insert_snapshot(client, db, [[later, AS_OF, "notifications", 2020, "total", n, p]
                                     for p, n in enumerate((3, 1))])
        assert {k: v for k, (v, _) in live_figures(client, db).items()} == {("notifications", 2020, "total"): 4}
    finally:
        client.command(f"DROP DATABASE IF EXISTS {db}")
