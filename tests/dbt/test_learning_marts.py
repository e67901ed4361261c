"""The report's learning figures that v1 events already give (paras 25, 64, 67), built by dbt on
the calibrated history, equal the reference calculator's (producers/reference/LEARNING.md)."""

from __future__ import annotations

import datetime as dt

import pytest

from producers.reference.history import replay
from producers.reference.learning import LearningInput, learning_from_input
from producers.simulator import report_2020
from tests.dbt.loading import build, load_replay

AS_OF = dt.date(2021, 3, 31)
MARTS = ("rpt_lcspr_decision_rates", "rpt_neglect_in_deaths", "rpt_rapid_reviews_within_25_working_days")


@pytest.fixture(scope="module")
def marts(warehouse):
    result = replay(report_2020(0))
    db = warehouse.new_database("learning")
    load_replay(warehouse.client, db, result)
    build(warehouse.data_dir, db, AS_OF, "--indirect-selection", "cautious", "--select", *(f"+{m}" for m in MARTS))
    oracle = learning_from_input(LearningInput(result, []), 2020, AS_OF)
    yield warehouse.client, db, oracle
    warehouse.drop(db)


def rows(client, db: str, sql: str) -> list[dict]:
    result = client.query(sql.format(db=db))
    return [dict(zip(result.column_names, r, strict=True)) for r in result.result_rows]


def test_lcspr_decision_rates_by_group_of_harm_match_the_oracle(marts):
    client, db, oracle = marts
    got = {r.pop("harm_group"): r for r in rows(client, db, "SELECT * EXCEPT year FROM {db}.rpt_lcspr_decision_rates "
                                                          "WHERE year = 2020")}
    assert got == oracle["lcspr_decision_rates"]
    assert got["direct_or_extra_familial_death"]["lcspr_pct"] == 47.2  # para 67: 47%
    assert got["death_related_to_maltreatment"]["lcspr_pct"] == 37.6  # para 67: 38%


def test_neglect_in_deaths_matches_the_oracle(marts):
    client, db, oracle = marts
    got = {r.pop("death_group"): r for r in rows(client, db, "SELECT * EXCEPT year FROM {db}.rpt_neglect_in_deaths "
                                                           "WHERE year = 2020")}
    assert got == oracle["neglect_in_deaths"]
    assert got["death_related_to_maltreatment"]["pct"] == 40.0  # para 25


def test_within_25_working_days_matches_the_oracle(marts):
    client, db, oracle = marts
    got = {r.pop("period"): r for r in rows(client, db, "SELECT * EXCEPT year FROM "
                                                      "{db}.rpt_rapid_reviews_within_25_working_days WHERE year = 2020")}
    assert got == oracle["relaxation_within_25_working_days"]
    assert got["relaxation"]["pct"] == 59.9  # para 64: 60%
