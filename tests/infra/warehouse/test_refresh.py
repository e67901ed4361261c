"""The production refresh (infra/warehouse/refresh.py): what it rebuilds is what viewers read.

The refresh runs ``dbt run --selector viewers`` (dbt/selectors.yml, generated from the panels,
the alert rules and the viewer tables' inputs by dashboards/selection.py) between full tested
builds. These tests run the real schedule loop and real dbt on chDB:

- the schedule refreshes when something new is stored, not on a clock, and only then;
- after that refresh, every table a dashboard panel, an alert rule, the live page, the briefing
  or a viewer table reads holds exactly what a full tested build of the same events holds;
- the live page and the briefing, run on the refreshed vintage with every query recorded, read no
  table of the vintage that the refresh does not rebuild;
- dbt itself resolves the generated selector to every model the panels and rules read.
"""

from __future__ import annotations

import contextlib
import io
import re
from typing import Any

import pytest

from dashboards import selection
from dashboards.briefing.build import render_briefing
from dashboards.live import panels as live_panels
from dashboards.live import periods
from infra.settings import load_settings
from infra.warehouse import refresh, vintages
from infra.warehouse.dbt_runner import run_dbt
from infra.warehouse.viewer import VIEWER_TABLES
from producers.reference.history import replay
from tests.dbt.loading import load_replay
from tests.dbt.random_history import random_history

# when rows arrived (and were built) differs between the two loads, never what they count
VOLATILE = {
    "rpt_build_info": "built_at",
    "rpt_event_freshness": "latest_ingested_at, built_at",
    "rpt_event_arrivals_daily": "arrival_date",
}


def rows(client: Any, db: str, table: str) -> list[tuple[Any, ...]]:
    columns = [c for (c,) in client.query(f"SELECT name FROM system.columns WHERE database = '{db}' AND table = '{table}'"
                                          ).result_rows]
    volatile = {c.strip() for c in VOLATILE.get(table, "").split(",") if c.strip()}
    kept = ", ".join(f"`{c}`" for c in columns if c not in volatile)
    return client.query(f"SELECT {kept} FROM {db}.{table} ORDER BY ALL").result_rows


class Recording:
    """A client that records every table of ``database`` a query names."""

    def __init__(self, client: Any, database: str) -> None:
        self.client, self.database = client, database
        self.tables: set[str] = set()

    def _note(self, sql: str) -> None:
        self.tables |= set(re.findall(rf"\b{self.database}\.`?(\w+)", sql))

    def query(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        self._note(sql)
        return self.client.query(sql, *args, **kwargs)

    def command(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        self._note(sql)
        return self.client.command(sql, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


@pytest.fixture(scope="module")
def refreshed(warehouse):
    """Two thirds of a history, the schedule's full build, the rest stored, the schedule's refresh
    (db ``inc``); and the whole history in a full tested build (db ``full``)."""
    result = replay(random_history(seed=11, cases=160))
    cut = len(result.accepted) * 2 // 3
    first = type(result)(accepted=result.accepted[:cut])
    rest = type(result)(accepted=result.accepted[cut:], rejected=result.rejected, partnerships=result.partnerships)
    conf = load_settings(clickhouse_url="chdb")
    inc, full = warehouse.new_database("inc"), warehouse.new_database("full")
    load_replay(warehouse.client, inc, first)
    calls: list[int] = []
    before: dict[str, list[tuple[Any, ...]]] = {}

    def stop() -> bool:
        calls.append(1)
        if len(calls) == 3:  # the full build done and one quiet round: now the rest arrives
            before.update({t: rows(warehouse.client, f"{inc}_latest", t) for t in ("rpt_notifications",)})
            load_replay(warehouse.client, inc, rest, start_offset=cut)
        return len(calls) > 3

    done = refresh.run_schedule(warehouse.client, conf, inc, refresh_every=3600, build_every=3600,
                                 data_dir=warehouse.data_dir, defaults=False, stop=stop, poll_s=0.05)
    load_replay(warehouse.client, full, result)
    vintages.build(warehouse.client, conf, full, None, data_dir=warehouse.data_dir)
    yield inc, full, done, before, calls
    for db in (inc, full):
        for suffix in ("", "_latest"):
            warehouse.drop(db + suffix)


def test_the_schedule_refreshes_when_new_events_are_stored_and_only_then(warehouse, refreshed):
    inc, _, done, before, calls = refreshed
    # built at the first round; no refresh in the quiet round after it; one as soon as the rest came
    assert [(d.kind, d.ok) for d in done] == [("refresh", True)], done
    assert len(calls) == 4
    assert rows(warehouse.client, f"{inc}_latest", "rpt_notifications") != before["rpt_notifications"]


def test_every_table_viewers_read_is_what_a_full_tested_build_shows(warehouse, refreshed):
    inc, full, _, _, _ = refreshed
    read = (selection.panel_tables() | selection.alert_tables() | set(selection.PAGE_READS) | set(VIEWER_TABLES))
    assert {"rpt_notifications", "pub_local_authority_notifications", "pub_learning",
            "rpt_overdue_rapid_reviews"} <= read
    differing = [t for t in sorted(read)
                 if rows(warehouse.client, f"{inc}_latest", t) != rows(warehouse.client, f"{full}_latest", t)]
    assert differing == []


def test_the_live_page_and_the_briefing_read_only_what_the_refresh_rebuilds(warehouse, refreshed):
    inc, _, _, _, _ = refreshed
    latest = vintages.readable(warehouse.client, inc, None)
    recording = Recording(warehouse.client, latest.database)
    quarter = periods(recording, latest.database)[-1]
    shown = live_panels(recording, latest, quarter, threshold=2)
    assert shown.values
    render_briefing(recording, inc, quarter, 2, vintage=latest)
    assert recording.tables
    assert recording.tables <= set(selection.viewer_models()) | set(VIEWER_TABLES), \
        recording.tables - set(selection.viewer_models()) - set(VIEWER_TABLES)


def test_dbt_resolves_the_selector_to_every_model_viewers_read(warehouse):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        outcome = run_dbt(["ls", "--selector", refresh.SELECTOR, "--resource-type", "model", "--output", "name"],
                          data_dir=warehouse.data_dir, quiet=True)
    assert outcome.success
    listed = set(out.getvalue().split())
    assert set(selection.viewer_models()) <= listed
    # and leaves out what nobody reads between full builds
    assert "rpt_death_categories" not in listed


def test_the_generated_selector_is_current():
    assert selection.drift() == []
