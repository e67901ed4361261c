"""Disclosure control of the learning figures: every build writes pub_learning, every count from 1
to the threshold (not published exactly elsewhere) is 'c', every share beside a 'c' is null, and the
audit — reading pub_learning only — can work out no 'c', on the calibrated v2 history and on a
random v2 history; an audit that could not fail proves nothing, so a published table with one cell
let out is caught."""

from __future__ import annotations

import datetime as dt

import pytest

from infra.warehouse.audit import audit_learning, audit_learning_rows, learning_sums
from infra.warehouse.learning_viewer import is_fixed, pct, read_rows
from producers.reference.learning import learning_from_input, split
from producers.simulator import random_history, report_2020
from tests.dbt.loading import build, load_replay

AS_OF = dt.date(2021, 3, 31)
THRESHOLD = 2
COLUMNS = "figure, year, grouping, group_value, item, value, pct, denominator"


def _built(warehouse, name: str, lines: list[bytes], as_of: dt.date = AS_OF):
    data = split(lines)
    db = warehouse.new_database(name)
    load_replay(warehouse.client, db, data.replay)
    build(warehouse.data_dir, db, as_of, "--exclude-resource-type", "test")  # publishes the viewer tables
    return db, data


def _rows(client, db: str) -> list[tuple]:
    return client.query(f"SELECT {COLUMNS} FROM {db}.pub_learning").result_rows


@pytest.fixture(scope="module")
def calibrated(warehouse):
    db, data = _built(warehouse, "publearn", report_2020(0, "v2"))
    yield warehouse.client, db, data
    warehouse.drop(db)


def test_pub_learning_passes_the_audit_and_protects_something(calibrated):
    client, db, _ = calibrated
    assert audit_learning(client, db, THRESHOLD) == []
    rows = _rows(client, db)
    suppressed = [r for r in rows if r[5] == "c"]
    assert len(suppressed) > 20 and len(rows) > 1000


def test_small_counts_are_c_shown_counts_are_exact_and_shares_only_beside_shown_counts(calibrated):
    client, db, _ = calibrated
    exact = {}
    for mart, figure in (("rpt_practice_themes", "practice_themes"), ("rpt_covid_factors_by_case_theme", "covid_factors"),
                         ("rpt_rapid_review_quality", "rapid_review_quality")):
        for y, g, v, i, n in client.query(f"SELECT year, grouping, group_value, item, n FROM {db}.{mart}").result_rows:
            exact[(figure, y, g, v, i)] = n
    published = {tuple(r[:5]): r for r in _rows(client, db)}
    for cell, n in exact.items():
        text = published[cell][5]
        if 1 <= n <= THRESHOLD and not is_fixed(cell):
            assert text == "c", cell
        assert text in ("c", str(n)), cell
        if text == "c":
            assert published[cell][6] is None, cell


def test_shown_shares_equal_the_reference(calibrated):
    client, db, data = calibrated
    oracle = learning_from_input(data, 2020, AS_OF)
    shares = {(r[0], r[2], r[3], r[4]): r[6] for r in _rows(client, db) if r[1] == 2020}
    assert shares[("review_recording", "field", "ethnicity_recorded", "yes")] == oracle["ethnicity_recorded"]["pct"]
    assert shares[("lcspr_decision_rates", "harm_group", "direct_or_extra_familial_death", "lcspr")] == 47.2
    assert shares[("lcspr_decision_rates", "harm_group", "death_related_to_maltreatment", "lcspr")] == 37.6
    assert shares[("neglect_in_deaths", "death_group", "death_related_to_maltreatment", "neglect")] == 40.0
    assert shares[("within_25_working_days", "period", "relaxation", "within_25")] == 59.9
    quality = oracle["rapid_review_quality"]
    assert shares[("rapid_review_quality", "dimension", "family_detail", "weak")] == quality["family_detail"]["weak_pct"]
    themes = oracle["practice_themes"]["all"]
    assert shares[("practice_themes", "all", "all", "information_sharing")] == pct(themes["information_sharing"],
                                                                                    themes["recorded"])


def test_the_audit_catches_a_cell_let_out(calibrated):
    client, db, _ = calibrated
    exact = {r.cell: r.n for r in read_rows(client, db)}
    rows = [list(r) for r in _rows(client, db)]
    values = {tuple(r[:5]): r[5] for r in rows}
    # a sum with exactly two 'c' parts: show one (its true value) and the other is pinned
    pair = next(cells for total, parts in learning_sums(values)
                if len(cells := [c for c in (total, *parts) if values[c] == "c"]) == 2)
    for r in rows:
        if tuple(r[:5]) == pair[0]:
            r[5] = str(exact[pair[0]])
    found = audit_learning_rows([tuple(r) for r in rows], THRESHOLD)
    assert pair[1] in [f.cell for f in found]
    # a share shown beside a 'c'
    rows = [list(r) for r in _rows(client, db)]
    target = next(r for r in rows if r[5] == "c" and r[7])
    target[6] = 50.0
    assert [f.cell[0] for f in audit_learning_rows([tuple(r) for r in rows], THRESHOLD)] == ["share"]


def test_a_random_v2_history_passes_the_audit(warehouse):
    options = {"start_year": 2019, "years": 2, "duplicate_rate": 0.02, "out_of_order_rate": 0.02, "invalid_rate": 0.01}
    db, _ = _built(warehouse, "publearnr", list(random_history(500, seed=23, contract="v2", **options)),
                   dt.date(2020, 12, 31))
    try:
        assert audit_learning(warehouse.client, db, THRESHOLD) == []
        assert any(r[5] == "c" for r in _rows(warehouse.client, db))
    finally:
        warehouse.drop(db)
