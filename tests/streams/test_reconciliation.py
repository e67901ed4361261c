"""Two computations, one answer: the stream's figures (a snapshot of its FigureBook) against the
same figures built by dbt from the raw store, compared by rpt_stream_reconciliation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from infra.warehouse.dbt_runner import run_dbt
from infra.warehouse.raw_store import insert_dead_letters, insert_events
from streams.figures.reconciliation import COLUMNS, DATE_DEPENDENT, FIGURES, figure_rows, snapshot_rows
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
    book, outputs, accepted = stream_fold(messages)
    events, dead = rows_of(outputs)
    insert_events(warehouse.client, db, events)
    insert_dead_letters(warehouse.client, db, dead)
    taken_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    rows = snapshot_rows(book, TODAY, taken_at, accepted)
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


def test_a_snapshot_of_other_events_than_the_marts_is_not_compared(warehouse, history) -> None:
    """A build that read events the snapshot had not seen (a burst after it) is out of step, not
    a disagreement: nothing is comparable and the dbt test passes."""
    db, rows, taken_at = history
    behind = [[taken_at + dt.timedelta(seconds=40), *r[1:]] for r in rows]
    i = next(i for i, r in enumerate(behind) if r[2] == "accepted_events")
    behind[i][5] -= 3
    j = next(i for i, r in enumerate(behind) if r[2] == "notifications" and r[4] == "total" and r[5])
    behind[j][5] -= 1
    warehouse.client.insert(f"{db}.{TABLE}", behind, column_names=list(COLUMNS))
    outcome = run_dbt(["build", "--select", "rpt_build_info", "rpt_stream_reconciliation+",
                       "--vars", f"{{as_of: '{TODAY}'}}"], data_dir=warehouse.data_dir, database=db,
                      work_dir=Path(warehouse.data_dir) / "dbt", quiet=True)
    assert outcome.success
    got = reconciliation(warehouse.client, db)
    assert {r["comparable"] for r in got} == {0}
    assert {(r["figure"], r["difference"]) for r in got if not r["matches"]} == {
        ("accepted_events", -3), ("notifications", -1)}


def test_date_dependent_figures_are_not_comparable_with_marts_of_another_date(warehouse, history) -> None:
    db, rows, taken_at = history
    again = [[taken_at + dt.timedelta(seconds=50), *r[1:]] for r in rows]  # the right figures, newest
    warehouse.client.insert(f"{db}.{TABLE}", again, column_names=list(COLUMNS))
    yesterday = TODAY - dt.timedelta(days=1)
    outcome = run_dbt(["run", "--select", "rpt_build_info", "rpt_stream_reconciliation",
                       "--vars", f"{{as_of: '{yesterday}'}}"], data_dir=warehouse.data_dir, database=db,
                      work_dir=Path(warehouse.data_dir) / "dbt", quiet=True)
    assert outcome.success
    got = reconciliation(warehouse.client, db)
    assert {r["figure"] for r in got if not r["comparable"]} == DATE_DEPENDENT, "the events are the same"
    assert {r["dbt_as_of"] for r in got} == {yesterday}


def test_marts_of_an_earlier_year_compare_only_the_years_they_lay_out(warehouse, history) -> None:
    """A report as at an earlier year (the demo's 2021-03-31 against today's snapshot): the marts
    lay out years up to the one after their T, the stream up to the one after today; the years
    only the stream has are not a disagreement, and the dbt test passes."""
    db, rows, taken_at = history
    again = [[taken_at + dt.timedelta(seconds=55), *r[1:]] for r in rows]
    warehouse.client.insert(f"{db}.{TABLE}", again, column_names=list(COLUMNS))
    as_of = dt.date(2023, 1, 1)  # after every event of the history (they end in 2022)
    assert as_of.year + 1 < TODAY.year, "the test needs marts whose years stop before the stream's"
    outcome = run_dbt(["build", "--select", "int_report_years", "rpt_build_info", "rpt_stream_reconciliation",
                       "stream_figures_match_the_marts", "--vars", f"{{as_of: '{as_of}'}}"],
                      data_dir=warehouse.data_dir, database=db, work_dir=Path(warehouse.data_dir) / "dbt",
                      quiet=True)
    assert outcome.success, "the reconciliation's dbt test failed on figures of years the marts do not lay out"
    got = reconciliation(warehouse.client, db)
    later = [r for r in got if r["year"] > as_of.year + 1]
    assert later and not any(r["comparable"] for r in later)
    compared = [r for r in got if r["comparable"]]
    assert compared and all(r["matches"] for r in compared)
    assert {r["figure"] for r in compared} == set(FIGURES) - DATE_DEPENDENT


def test_marts_as_known_at_a_date_before_the_last_event_are_compared_with_no_snapshot(warehouse, history) -> None:
    """The stream counts every event it has seen (as known now); marts as known at a date before
    the history's last event leave later events out: nothing is comparable, so the dbt test
    cannot block that date (it failed `report figures --year 2020 --as-of 2020-12-31`)."""
    db, rows, taken_at = history
    wrong = [[taken_at + dt.timedelta(seconds=58), *r[1:]] for r in rows]
    i = next(i for i, r in enumerate(wrong) if r[2] == "notifications" and r[3] == 2020 and r[4] == "total")
    wrong[i][5] += 1  # even a wrong snapshot is not this vintage's to judge
    warehouse.client.insert(f"{db}.{TABLE}", wrong, column_names=list(COLUMNS))
    as_of = dt.date(2020, 12, 31)
    outcome = run_dbt(["build", "--select", "rpt_build_info", "rpt_event_freshness", "rpt_stream_reconciliation",
                       "stream_figures_match_the_marts", "--vars", f"{{as_of: '{as_of}'}}"],
                      data_dir=warehouse.data_dir, database=db, work_dir=Path(warehouse.data_dir) / "dbt",
                      quiet=True)
    assert outcome.success
    got = reconciliation(warehouse.client, db)
    assert got and not any(r["comparable"] for r in got)
    known, events = warehouse.client.query(f"SELECT events_known, events FROM {db}.rpt_event_freshness").result_rows[0]
    assert 0 < known < events


def test_each_partitions_latest_snapshot_is_summed_against_the_marts(warehouse, history) -> None:
    """Two workers, each writing the snapshots of its own partitions: per partition the latest
    snapshot before the build is taken (not the one of an earlier moment, nor one newer than the
    build), and their sum is what
    matches the marts, figure by figure."""
    from tests.streams.figures.test_partition_snapshots import split

    db, _, taken_at = history
    parts = split(random_history(seed=7, cases=200))  # the fixture's history, by case
    folds = [stream_fold(part) for part in parts]
    at = [taken_at + dt.timedelta(seconds=s) for s in (58.2, 58.5, 58.8)]
    early, _, early_accepted = stream_fold(parts[1][: len(parts[1]) // 3])
    snapshots = [(early, early_accepted, at[0], 1), (folds[1][0], folds[1][2], at[1], 1),
                 (folds[0][0], folds[0][2], at[2], 0),
                 (early, early_accepted, dt.datetime.now(dt.UTC) + dt.timedelta(hours=1), 0)]
    for book, accepted, when, partition in snapshots:
        warehouse.client.insert(f"{db}.{TABLE}", snapshot_rows(book, TODAY, when, accepted, partition),
                                column_names=list(COLUMNS))
    # as at today again (the tests before built some for other dates)
    outcome = run_dbt(["build", "--select", "int_report_years", "rpt_build_info", "rpt_event_freshness",
                       "rpt_stream_reconciliation+", "--vars", f"{{as_of: '{TODAY}'}}"],
                      data_dir=warehouse.data_dir, database=db, work_dir=Path(warehouse.data_dir) / "dbt", quiet=True)
    assert outcome.success
    got = reconciliation(warehouse.client, db)
    assert {r["figure"] for r in got} == set(FIGURES)
    assert all(r["comparable"] == 1 for r in got), [r for r in got if not r["comparable"]][:3]
    assert [r for r in got if not r["matches"]] == []
    assert {r["taken_at"].replace(tzinfo=None) for r in got} == {at[2].replace(tzinfo=None)}, "the newest part"
    whole = {(r.figure, r.year, r.dimension): r.value for r in figure_rows(stream_fold(
        random_history(seed=7, cases=200))[0], TODAY)}
    assert all(r["stream_value"] == whole[r["figure"], r["year"], r["dimension"]]
               for r in got if r["figure"] != "accepted_events")
    # each partition alone is not the whole: the sum is what matches
    totals = [sum(r.value for r in figure_rows(book, TODAY) if r.figure == "notifications" and r.dimension == "total")
              for book, _, _ in folds]
    assert all(totals) and sum(totals) == sum(
        r["stream_value"] for r in got if r["figure"] == "notifications" and r["dimension"] == "total")


READ_RECONCILIATION = """
import json, sys
from infra.settings import load_settings
from infra.warehouse import get_client
c = get_client(load_settings(), data_dir=sys.argv[1])
r = c.query("SELECT figure, year, dimension, stream_value, dbt_value, matches, comparable, stream_as_of, dbt_as_of "
            "FROM cspr_latest.rpt_stream_reconciliation")
snapshots = c.command("SELECT uniqExact(taken_at) FROM cspr.stream_figures FINAL")
print(json.dumps({"rows": [dict(zip(r.column_names, row)) for row in r.result_rows], "snapshots": snapshots},
                 default=str))
"""


@pytest.mark.integration
def test_the_worker_snapshot_of_the_2020_history_reconciles_with_the_marts(tmp_path: Path) -> None:
    """End to end: the calibrated 2020 history through `safeguarding run` (embedded broker, the
    worker, which writes its figures snapshot, then dbt build, whose reconciliation test must
    pass); every comparable figure of every kind agrees."""
    import json
    import subprocess
    import sys

    from producers.simulator import report_2020

    events = tmp_path / "2020.jsonl"
    events.write_bytes(b"\n".join(report_2020(seed=0)) + b"\n")
    data = tmp_path / "data"
    proc = subprocess.run([sys.executable, "-m", "infra.cli", "run", "--events", str(events), "--data-dir",
                           str(data), "--timeout", "120"], capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["dbt"] == "built" and summary["accepted"] > 4000, summary
    read = subprocess.run([sys.executable, "-c", READ_RECONCILIATION, str(data)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert read.returncode == 0, read.stderr[-2000:]
    got = json.loads(read.stdout)
    rows = got["rows"]
    assert got["snapshots"] >= 1
    assert {r["figure"] for r in rows} == set(FIGURES), "every figure kind is compared"
    assert all(r["comparable"] == 1 for r in rows), "the snapshot and the marts are of today"
    assert [r for r in rows if not r["matches"]] == []
    totals = {r["year"]: r["stream_value"] for r in rows if r["figure"] == "notifications" and r["dimension"] == "total"}
    assert totals[2020] > 0 and totals[2020] == next(
        r["dbt_value"] for r in rows if (r["figure"], r["year"], r["dimension"]) == ("notifications", 2020, "total"))
