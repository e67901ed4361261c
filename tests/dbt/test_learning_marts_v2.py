"""The contract v2 learning marts, built by dbt in one vintage and another, equal the reference
calculator's learning figures (producers/reference/LEARNING.md), on the calibrated 2020 history
and on a random v2 history (duplicates, out-of-order and invalid events); a v1-only history gives
every review as "not recorded"."""

from __future__ import annotations

import datetime as dt

import pytest

from producers.reference.history import replay
from producers.reference.learning import learning_from_input, split
from producers.simulator import random_history, report_2020
from tests.dbt.learning_long import LONG_MARTS, mart_long, reference_long
from tests.dbt.loading import build, load_replay

AS_OF = dt.date(2021, 3, 31)
SELECT = ("--indirect-selection", "cautious", "--select", *(f"+{m}" for m in LONG_MARTS))


def _build(warehouse, name: str, lines: list[bytes], as_of: dt.date):
    data = split(lines)
    db = warehouse.new_database(name)
    load_replay(warehouse.client, db, data.replay)
    build(warehouse.data_dir, db, as_of, *SELECT)
    return db, data


def _check(client, db: str, data, year: int, as_of: dt.date) -> dict:
    want = reference_long(learning_from_input(data, year, as_of))
    for mart in LONG_MARTS:
        got = mart_long(client, db, mart, as_of.year if mart == "rpt_partnership_yearly_reports" else year)
        assert got == want[mart], (mart, {k: (got.get(k), v) for k, v in want[mart].items() if got.get(k) != v})
    return want


@pytest.fixture(scope="module")
def calibrated(warehouse):
    db, data = _build(warehouse, "learn2", report_2020(0, "v2"), AS_OF)
    yield warehouse.client, db, data
    warehouse.drop(db)


def test_every_learning_mart_equals_the_reference_on_the_calibrated_history(calibrated):
    client, db, data = calibrated
    want = _check(client, db, data, 2020, AS_OF)
    assert want["rpt_practice_themes"][("all", "all", "recorded")] > 400
    assert want["rpt_partnership_yearly_reports"][("all", "all", "partnerships")] == 121


def test_the_learning_marts_hold_every_year_of_the_vintage(calibrated):
    client, db, data = calibrated
    _check(client, db, data, 2019, AS_OF)


def test_an_earlier_vintage_counts_what_was_known_then(warehouse):
    """As at 2021-01-31 (the report's date for yearly reports): 68 received, 50 evidencing WT 2018."""
    as_of = dt.date(2021, 1, 31)
    db, data = _build(warehouse, "learnjan", report_2020(0, "v2"), as_of)
    try:
        want = _check(warehouse.client, db, data, 2020, as_of)
        p = want["rpt_partnership_yearly_reports"]
        assert (p[("all", "all", "reports_received")], p[("all", "all", "fully")] + p[("all", "all", "partly")]) == (68, 50)
    finally:
        warehouse.drop(db)


def test_a_random_v2_history_gives_the_reference_figures(warehouse):
    options = {"start_year": 2019, "years": 2, "duplicate_rate": 0.03, "out_of_order_rate": 0.03, "invalid_rate": 0.02}
    lines = list(random_history(700, seed=11, contract="v2", **options))
    db, data = _build(warehouse, "learnrand", lines, dt.date(2020, 9, 30))
    try:
        for year in (2019, 2020):
            _check(warehouse.client, db, data, year, dt.date(2020, 9, 30))
    finally:
        warehouse.drop(db)


def test_a_v1_history_shows_every_review_as_not_recorded(warehouse):
    lines = report_2020(0)
    db, data = _build(warehouse, "learnv1", lines, AS_OF)
    try:
        want = _check(warehouse.client, db, data, 2020, AS_OF)
        themes = want["rpt_practice_themes"]
        assert themes[("all", "all", "reviews")] > 400 and themes[("all", "all", "recorded")] == 0
        assert not replay(lines).partnerships
    finally:
        warehouse.drop(db)
