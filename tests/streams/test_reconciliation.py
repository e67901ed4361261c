"""Two computations, one answer: the stream's figures (a snapshot of its FigureBook) against the
same figures built by dbt from the raw store, compared by rpt_stream_reconciliation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from infra.warehouse.dbt_runner import run_dbt
from infra.warehouse.raw_store import insert_dead_letters, insert_events
from streams.figures.reconciliation import COLUMNS, DATE_DEPENDENT, FIGURES, snapshot_rows
from streams.figures.snapshots import TABLE
from streams.sink.agents import rows_of
from tests.dbt.loading import build
from tests.dbt.random_history import random_history
from tests.streams.figures.folding import stream_fold

TODAY = dt.datetime.now(dt.UTC).date()


def reconciliation(client, db: str) -> list[dict]:
    result = client.query(f"SELECT * FROM {db}.rpt_stream_reconciliation")
    return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]


@pytest.fixture(scope="module")
def history(warehouse):
    """A random history (late, out-of-order, duplicate and invalid events) folded by the stream's
    projection: its accepted events and dead letters in the raw store, as the sink writes them,
    and a snapshot of its live figures in stream_figures; then the marts built."""
    messages = random_history(seed=7, cases=200)
    db = warehouse.new_database("recon")
    book, outputs = stream_fold(messages)
    events, dead = rows_of(outputs)
    insert_events(warehouse.client, db, events)
    insert_dead_letters(warehouse.client, db, dead)
    taken_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    rows = snapshot_rows(book, TODAY, taken_at)
    warehouse.client.insert(f"{db}.{TABLE}", rows, column_names=list(COLUMNS))
    build(warehouse.data_dir, db, TODAY)
    yield db, rows, taken_at
    warehouse.drop(db)


def test_every_stream_figure_equals_the_marts_figure(warehouse, history) -> None:
    db, rows, _ = history
    got = reconciliation(warehouse.client, db)
    assert len(got) == len(rows), "one row per figure x year x dimension of the snapshot"
    assert {r["figure"] for r in got} == set(FIGURES)
    assert all(r["comparable"] == 1 for r in got), "snapshot and marts are as at the same date"
    wrong = [r for r in got if not r["matches"]]
    assert not wrong, wrong[:5]
    assert sum(r["stream_value"] for r in got if r["figure"] == "notifications" and r["dimension"] == "total") > 150


def test_a_wrong_stream_figure_fails_the_reconciliation_and_its_dbt_test(warehouse, history) -> None:
    db, rows, taken_at = history
    later = taken_at + dt.timedelta(seconds=30)  # a newer snapshot, still before the next build
    bad = [[later, *r[1:]] for r in rows]
    i = next(i for i, r in enumerate(bad) if r[2] == "notifications" and r[3] == 2020 and r[4] == "total")
    bad[i][5] += 1
    warehouse.client.insert(f"{db}.{TABLE}", bad, column_names=list(COLUMNS))
    outcome = run_dbt(["build", "--select", "rpt_build_info", "rpt_stream_reconciliation+",
                       "--vars", f"{{as_of: '{TODAY}'}}"], data_dir=warehouse.data_dir, database=db,
                      work_dir=Path(warehouse.data_dir) / "dbt", quiet=True)
    assert not outcome.success
    failed = {r.node.name for r in outcome.result.results if r.status in ("fail", "error")}
    assert failed == {"stream_figures_match_the_marts"}
    got = reconciliation(warehouse.client, db)
    assert {r["taken_at"].replace(tzinfo=None) for r in got} == {later.replace(tzinfo=None)}, "the latest snapshot"
    mismatched = [(r["figure"], r["year"], r["dimension"], r["difference"]) for r in got if not r["matches"]]
    assert mismatched == [("notifications", 2020, "total", 1)]


def test_date_dependent_figures_are_not_comparable_with_marts_of_another_date(warehouse, history) -> None:
    db, _, _ = history
    yesterday = TODAY - dt.timedelta(days=1)
    outcome = run_dbt(["run", "--select", "rpt_build_info", "rpt_stream_reconciliation",
                       "--vars", f"{{as_of: '{yesterday}'}}"], data_dir=warehouse.data_dir, database=db,
                      work_dir=Path(warehouse.data_dir) / "dbt", quiet=True)
    assert outcome.success
    got = reconciliation(warehouse.client, db)
    assert {r["figure"] for r in got if not r["comparable"]} == DATE_DEPENDENT
    assert {r["dbt_as_of"] for r in got} == {yesterday}
