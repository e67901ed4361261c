"""The marts give the reference calculator's figures (producers.reference), for random histories
with corrections, withdrawals, duplicates, out-of-order and invalid events, every year in them and
several report dates; and dbt's own tests pass on every build (a failing test fails the build)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from infra.warehouse.figures import read_figures
from producers.reference.figures import figures_from_replay
from producers.reference.history import replay
from schemas.calendar import working_days
from tests.dbt.loading import build, load_replay
from tests.dbt.random_history import random_history

AS_OF_DATES = (dt.date(2020, 6, 30), dt.date(2021, 3, 31), dt.date(2022, 1, 15))
YEARS = (2019, 2020, 2021)


@pytest.fixture(scope="module")
def history(warehouse):
    result = replay(random_history(seed=11, cases=260))
    assert {r.reason for r in result.rejected} >= {"case_rule_violation", "source_not_authorised", "unknown_case"}
    assert result.duplicates > 0
    db = warehouse.new_database("hist")
    load_replay(warehouse.client, db, result)
    yield db, result
    warehouse.drop(db)


@pytest.mark.parametrize("as_of", AS_OF_DATES, ids=str)
def test_report_figures_equal_the_reference_for_every_year(warehouse, history, as_of):
    db, result = history
    build(warehouse.data_dir, db, as_of)
    for year in YEARS:
        got = read_figures(warehouse.client, db, year, as_of)
        want = figures_from_replay(result, year, as_of)
        diffs = {k: (got.get(k), v) for k, v in want.items() if got.get(k) != v}
        assert not diffs, f"year {year} as at {as_of}: (marts, reference) differ: {diffs}"
        assert list(got) == list(want)


def test_a_second_history_agrees_too(warehouse):
    result = replay(random_history(seed=29, cases=200, first=dt.date(2020, 1, 1), last=dt.date(2021, 12, 31)))
    db = warehouse.new_database("hist")
    try:
        load_replay(warehouse.client, db, result)
        as_of = dt.date(2021, 9, 30)
        build(warehouse.data_dir, db, as_of)
        for year in (2020, 2021):
            assert read_figures(warehouse.client, db, year, as_of) == figures_from_replay(result, year, as_of)
    finally:
        warehouse.drop(db)


def test_sql_working_days_equal_the_python_calendar(warehouse, history):
    db, _ = history
    build(warehouse.data_dir, db, dt.date(2021, 3, 31), "--select", "int_calendar_working_days", "bank_holidays",
          command="build")
    rows = warehouse.client.query(
        f"SELECT calendar_date, working_day_index FROM {db}.int_calendar_working_days "
        f"WHERE calendar_date BETWEEN '2019-12-01' AND '2021-01-31'"
    ).result_rows
    index = dict(rows)
    start = dt.date(2019, 12, 1)
    for d in index:
        assert index[d] - index[start] == working_days(start, d), d


def test_quarterly_learning_counts_each_quarter_as_the_definitions_say(warehouse, history):
    from collections import Counter

    from producers.reference.figures import cases_as_at
    from schemas.figures import pct
    from schemas.calendar import requested_completion_date

    db, result = history
    as_of = dt.date(2021, 3, 31)
    build(warehouse.data_dir, db, as_of)
    cases = cases_as_at(result.accepted, as_of)

    def quarter(d: dt.date) -> tuple[int, int]:
        return d.year, (d.month - 1) // 3 + 1

    want: dict[str, Counter] = {k: Counter() for k in (
        "notifications", "late_notifications", "rapid_reviews_due", "rapid_reviews_received",
        "rapid_reviews_on_time", "rapid_reviews_overdue", "lcspr_initiations")}
    for c in cases:
        q = quarter(c.notified_date)
        want["notifications"][q] += 1
        want["late_notifications"][q] += working_days(c.incident["incident_date"], c.notified_date) > 5
        due = requested_completion_date(c.notified_date)
        first = c.first("rapid_review.submitted")
        want["rapid_reviews_due"][quarter(due)] += 1
        if first is not None:
            received = first.event.data.received_date
            want["rapid_reviews_received"][quarter(received)] += 1
            on_time = working_days(c.notified_date, received) <= 15
            want["rapid_reviews_on_time"][quarter(due)] += on_time
            want["rapid_reviews_overdue"][quarter(due)] += not on_time
        else:
            want["rapid_reviews_overdue"][quarter(due)] += due < as_of
        if (init := c.latest("lcspr.initiated")) is not None:
            want["lcspr_initiations"][quarter(init.event.data.initiated_date)] += 1
    columns = ", ".join(want)
    rows = warehouse.client.query(f"SELECT year, quarter, {columns} FROM {db}.rpt_quarterly_learning").result_rows
    got: dict[Any, Counter[Any]] = {k: Counter() for k in want}
    for year, q, *values in rows:
        for k, v in zip(want, values, strict=True):
            if v:
                got[k][(year, q)] = v
    assert {k: +v for k, v in want.items()} == got
    change = warehouse.client.query(
        f"SELECT notifications, notifications_a_year_earlier, notifications_change_pct "
        f"FROM {db}.rpt_quarterly_learning WHERE year = 2020 AND quarter = 2").result_rows[0]
    now, before = want["notifications"][(2020, 2)], want["notifications"][(2019, 2)]
    assert change[:2] == (now, before)
    assert change[2] == pct(now - before, before)


def test_figures_are_never_read_from_marts_built_for_another_date_or_year(warehouse, history):
    from infra.warehouse.figures import FiguresError

    db, _ = history
    build(warehouse.data_dir, db, dt.date(2021, 3, 31))
    with pytest.raises(FiguresError, match="built as at 2021-03-31, not 2021-04-01"):
        read_figures(warehouse.client, db, 2020, dt.date(2021, 4, 1))
    with pytest.raises(FiguresError, match="no figures for year 2030"):
        read_figures(warehouse.client, db, 2030, dt.date(2021, 3, 31))
    empty = warehouse.new_database("empty")
    try:
        with pytest.raises(FiguresError, match="not built"):
            read_figures(warehouse.client, empty, 2020, dt.date(2021, 3, 31))
    finally:
        warehouse.drop(empty)
