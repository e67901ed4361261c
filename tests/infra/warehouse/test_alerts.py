"""The alert rules (infra/warehouse/alerts.py) on the real engine: every rule's SQL, the same SQL
Grafana's provisioned rules run, evaluated on a warehouse built from a history where it must fire
and one where it must stay quiet.

Both histories go through the stream's own fold (the projection the worker runs, without a
broker): its accepted events and dead letters into the raw store as the sink writes them, its
snapshot of the live figures as the worker writes it, the worker's heartbeat row from its own
function; the latest vintage is built (and refreshed) by the production code.

- quiet: the example case's life up to its published LCSPR (its rapid review in 14 working days),
  two invalid messages from its partner, the worker caught up, a snapshot equal to the marts.
- troubled: a case notified in 2020 with no rapid review since; eleven invalid messages from
  one partner today; a worker with a generated history's messages all still waiting on its
  inbound topic; a stream snapshot with one figure wrong (the fault a broken computation makes),
  which the refresh's reconciliation finds and the next full build's dbt test refuses.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from infra.settings import load_settings
from infra.warehouse import refresh, vintages
from infra.warehouse.alerts import DEAD_LETTERS_PER_PARTNER_PER_DAY, RULES, STREAM_LAG_MESSAGES, evaluate
from infra.warehouse.raw_store import insert_dead_letters, insert_events
from streams.figures.reconciliation import snapshot_rows
from streams.figures.snapshots import insert_snapshot
from streams.heartbeat import heartbeat_row, insert_heartbeat
from streams.sink.agents import rows_of
from tests.dbt.random_history import random_history
from tests.fixtures.events import CASE_LA, CASE_SOURCE, case_life, example, new_event
from tests.streams.figures.folding import stream_fold

TODAY = dt.datetime.now(dt.UTC).date()
OTHER_LA = "E06000002"  # Middlesbrough: the partner whose system sends broken events


def _bytes(events: list[dict]) -> list[bytes]:
    return [json.dumps(e).encode() for e in events]


def _invalid(n: int, source: str) -> list[dict]:
    """``n`` notifications from ``source`` that break the contract (no harm type)."""
    out = []
    for _ in range(n):
        event = new_event("incident.notified", source=source)
        del event["data"]["harm_type"]
        out.append(event)
    return out


def _load(warehouse, db: str, messages: list[bytes], lag: int) -> dt.datetime:
    """The stream's fold of ``messages`` into the raw store, its snapshot of the live figures and
    a heartbeat with ``lag`` messages waiting; returns the heartbeat's time."""
    book, outputs, accepted = stream_fold(messages)
    events, dead = rows_of(outputs)
    insert_events(warehouse.client, db, events)
    insert_dead_letters(warehouse.client, db, dead)
    now = dt.datetime.now(dt.UTC)
    rows = snapshot_rows(book, TODAY, now - dt.timedelta(seconds=30), accepted)
    insert_snapshot(warehouse.client, db, rows)
    counts = {"consumed": len(messages) - lag, "sent_events": len(events), "sunk_events": len(events),
              "sent_dead_letters": len(dead), "sunk_dead_letters": len(dead)}
    insert_heartbeat(warehouse.client, db, heartbeat_row({"cspr.events.inbound": lag, "cspr.events.inbound.*": 0},
                                                         counts, None, now))
    return now


def _drop(client, db: str) -> None:
    for (name,) in client.query("SELECT name FROM system.databases WHERE startsWith(name, {p:String})",
                                parameters={"p": f"{db}_"}).result_rows:
        client.command(f"DROP DATABASE IF EXISTS {name} SYNC")
    client.command(f"DROP DATABASE IF EXISTS {db} SYNC")


def _by_uid(results: list[dict]) -> dict[str, dict]:
    return {r["uid"]: r for r in results}


@pytest.fixture(scope="module")
def quiet(warehouse):
    db = warehouse.new_database("alq")
    life = [e for e in case_life() if e["type"] != "uk.gov.cspr.incident.withdrawn.v1"]
    now = _load(warehouse, db, _bytes(life + _invalid(2, CASE_SOURCE)), lag=0)
    vintages.build(warehouse.client, load_settings(clickhouse_url="chdb"), db, None, data_dir=warehouse.data_dir)
    yield db, now
    _drop(warehouse.client, db)


@pytest.fixture(scope="module")
def troubled(warehouse):
    db = warehouse.new_database("alt")
    conf = load_settings(clickhouse_url="chdb")
    backlog = random_history(seed=3, cases=3000)  # a worker that has consumed none of it yet
    assert len(backlog) > STREAM_LAG_MESSAGES
    notified = example("incident.notified")  # 2020-04-30, Hartlepool; no rapid review ever
    broken = _invalid(DEAD_LETTERS_PER_PARTNER_PER_DAY + 1, f"urn:cspr:la:{OTHER_LA}")
    messages = _bytes([notified, *broken])
    # the full build first, with the stream still silent (no snapshot: nothing to reconcile) ...
    book, outputs, accepted = stream_fold(messages)
    events, dead = rows_of(outputs)
    insert_events(warehouse.client, db, events)
    insert_dead_letters(warehouse.client, db, dead)
    vintages.build(warehouse.client, conf, db, None, data_dir=warehouse.data_dir)
    # ... then the stream's snapshot, one figure wrong, and a worker far behind
    now = dt.datetime.now(dt.UTC)
    rows = snapshot_rows(book, TODAY, now - dt.timedelta(seconds=5), accepted)
    i = next(i for i, r in enumerate(rows) if r[2] == "notifications" and r[3] == 2020 and r[4] == "total")
    rows[i][5] += 1
    insert_snapshot(warehouse.client, db, rows)
    counts = {"consumed": 0, "sent_events": 0, "sunk_events": 0, "sent_dead_letters": 0, "sunk_dead_letters": 0}
    insert_heartbeat(warehouse.client, db, heartbeat_row(
        {"cspr.events.inbound": len(backlog), "cspr.events.inbound.*": 0}, counts, None, now))
    # the refresh (models only) lays the disagreement out; the next full build's dbt test refuses it
    done = refresh.refresh_latest(warehouse.client, conf, db, data_dir=warehouse.data_dir)
    assert done.ok and done.kind == "refresh", done
    with pytest.raises(vintages.VintageError, match="stream_figures_match_the_marts"):
        vintages.build(warehouse.client, conf, db, None, data_dir=warehouse.data_dir)
    yield db, now
    _drop(warehouse.client, db)


def test_every_rule_stays_quiet_on_a_healthy_history(warehouse, quiet):
    db, now = quiet
    got = evaluate(warehouse.client, db, now=now + dt.timedelta(seconds=5))
    assert [r["uid"] for r in got] == [r.uid for r in RULES]
    assert {r["uid"]: (r["state"], r["firing"], r["error"]) for r in got} == {
        r.uid: ("ok", [], None) for r in RULES}


def test_every_rule_fires_on_a_troubled_history(warehouse, troubled):
    db, now = troubled
    got = _by_uid(evaluate(warehouse.client, db, now=now + dt.timedelta(seconds=5)))
    assert all(r["error"] is None for r in got.values()), got
    assert got["cspr-overdue-rapid-reviews"]["firing"] == [{"labels": {"local_authority": CASE_LA}, "value": 1.0}]
    assert got["cspr-dead-letters-per-partner"]["firing"] == [
        {"labels": {"partner": f"urn:cspr:la:{OTHER_LA}"}, "value": float(DEAD_LETTERS_PER_PARTNER_PER_DAY + 1)}]
    (lag,) = got["cspr-stream-lag"]["firing"]
    assert lag["value"] > STREAM_LAG_MESSAGES
    assert got["cspr-reconciliation-failures"]["firing"] == [
        {"labels": {"figure": "notifications", "year": "2020"}, "value": 1.0}]
    (failed,) = got["cspr-stale-build"]["firing"]
    assert failed["labels"] == {"vintage": "latest", "last_attempt": "failed"}
    # just refreshed, and the worker's heartbeat is fresh
    assert got["cspr-stale-marts"]["state"] == "ok" and got["cspr-stream-silent"]["state"] == "ok"


def test_stale_marts_and_a_silent_worker_fire_when_time_passes(warehouse, quiet):
    db, now = quiet
    later = _by_uid(evaluate(warehouse.client, db, now=now + dt.timedelta(minutes=10)))
    assert later["cspr-stream-silent"]["state"] == "firing"
    assert later["cspr-stale-marts"]["state"] == "firing"
    assert later["cspr-stale-build"]["state"] == "ok", "the tested build is 10 minutes old: within its schedule"
    much_later = _by_uid(evaluate(warehouse.client, db, now=now + dt.timedelta(hours=1)))
    assert much_later["cspr-stale-build"]["firing"][0]["labels"] == {"vintage": "latest", "last_attempt": "ok"}


def test_dead_letters_count_per_day(warehouse, troubled):
    """Yesterday's dead letters are not today's: the same rows do not fire tomorrow."""
    db, now = troubled
    tomorrow = _by_uid(evaluate(warehouse.client, db, now=now + dt.timedelta(days=1)))
    assert tomorrow["cspr-dead-letters-per-partner"]["state"] == "ok"


def test_a_rule_whose_marts_are_missing_is_an_error_not_quiet(warehouse, quiet):
    db, _ = quiet
    got = _by_uid(evaluate(warehouse.client, db, marts_database=f"{db}_nothing_here"))
    assert got["cspr-overdue-rapid-reviews"]["state"] == "error"
    assert got["cspr-overdue-rapid-reviews"]["error"]
