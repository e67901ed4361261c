"""Every build ends with the disclosure-control step: the viewer tables (pub_*) hold the area
figures with small counts and whatever would reveal them as 'c', and the audit — reading only
those tables — finds no 'c' it can pin or bound within the threshold: on the calibrated 2020
history, on random histories, and on a small hand-made one whose every step is known."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from infra.cli import main
from infra.warehouse.audit import audit
from producers.reference.history import replay
from producers.simulator import report_2020
from schemas.local_authorities import LOCAL_AUTHORITIES
from tests.dbt.loading import build, load_replay
from tests.dbt.random_history import random_history

AS_OF = dt.date(2021, 3, 31)
THRESHOLD = 2
NORTH_EAST = [la.code for la in LOCAL_AUTHORITIES if la.region_name == "North East"]


def notification(la: str, n: int, notified: str = "2020-06-01") -> bytes:
    return json.dumps({
        "specversion": "1.0", "id": str(uuid.uuid4()), "source": f"urn:cspr:la:{la}",
        "type": "uk.gov.cspr.incident.notified.v1", "subject": f"SIN-{la}-{notified}-{n:04d}",
        "time": f"{notified}T10:00:00Z",
        "data": {
            "local_authority": la, "incident_date": notified, "notified_date": notified,
            "harm_type": "serious_harm", "category": "neglect", "subcategory": None,
            "children": [{"child_ref": f"child-{la}-{notified}-{n}", "age_years": 3, "gender": "male",
                          "ethnicity": "mixed"}],
            "imd_quintile": 2, "case_characteristics": [],
            "service_involvement": {"known_to_csc": "not_known", "court_order": "none", "living_situation": "at_home"},
            "covid_factor": False,
        },
    }).encode()


def built(warehouse, name: str, lines: list[bytes]) -> str:
    db = warehouse.new_database(name)
    load_replay(warehouse.client, db, replay(lines))
    build(warehouse.data_dir, db, AS_OF, "--exclude-resource-type", "test")
    return db


def exact(client, db: str) -> dict[tuple[int, str], int]:
    return {(y, la): n for y, la, n in client.query(
        f"SELECT year, local_authority, notifications FROM {db}.fct_local_authority_notifications").result_rows}


def published(client, db: str, period: str = "year") -> dict[tuple[int, str], str]:
    return {(y, la): t for y, la, t in client.query(
        f"SELECT year, local_authority, notifications FROM {db}.pub_local_authority_notifications "
        f"WHERE period = '{period}'").result_rows}


@pytest.fixture(scope="module")
def calibrated(warehouse):
    db = built(warehouse, "cal", report_2020(seed=0))
    yield db
    warehouse.drop(db)


def test_the_calibrated_history_passes_the_audit_in_every_table(warehouse, calibrated):
    assert audit(warehouse.client, calibrated, THRESHOLD) == []
    # and there was something to protect: most quarters of most authorities are small
    n_c, total = warehouse.client.query(
        f"SELECT countIf(notifications = 'c'), count() FROM {calibrated}.pub_local_authority_notifications "
        f"WHERE year = 2020").result_rows[0]
    assert 200 < n_c < total


def test_shown_figures_are_exact_small_ones_are_c_and_zeros_are_shown(warehouse, calibrated):
    truth, shown = exact(warehouse.client, calibrated), published(warehouse.client, calibrated)
    assert {k for k in truth if k[0] in (2019, 2020)} <= set(shown) <= set(truth)
    for key in shown:
        n = truth[key]
        if 1 <= n <= THRESHOLD:
            assert shown[key] == "c", key
        elif shown[key] != "c":
            assert shown[key] == str(n), key
        if n == 0:
            assert shown[key] == "0", key


def test_a_year_whose_national_quarter_is_within_the_threshold_is_published_by_year_only(warehouse, calibrated):
    # the calibrated history's one notification of 2018 Q2: England's 1 would pin its authority's
    # quarter, so 2018's authorities and regions are published by year, England by quarter too
    c = warehouse.client
    england = c.query(f"SELECT period, notifications FROM {calibrated}.pub_region_notifications "
                      f"WHERE year = 2018 AND region_code = 'E92000001' ORDER BY period").result_rows
    assert ("Q2", "1") in england
    for table in ("pub_local_authority_notifications", "pub_region_notifications"):
        periods = c.query(f"SELECT DISTINCT period FROM {calibrated}.{table} WHERE year = 2018 "
                          f"AND region_code != 'E92000001'").result_rows
        assert periods == [("year",)], table
    assert c.query(f"SELECT count() FROM {calibrated}.pub_local_authority_notifications WHERE year = 2020 "
                   f"AND period = 'Q3'").result_rows[0][0] == len(LOCAL_AUTHORITIES)


def test_england_is_the_national_total_and_quarters_are_published(warehouse, calibrated):
    c = warehouse.client
    england = dict(c.query(f"SELECT period, notifications FROM {calibrated}.pub_region_notifications "
                           f"WHERE year = 2020 AND region_code = 'E92000001'").result_rows)
    national = c.query(f"SELECT notifications FROM {calibrated}.rpt_notifications "
                       f"WHERE year = 2020 AND harm_type = 'total'").result_rows[0][0]
    quarters = dict(c.query(f"SELECT quarter, notifications FROM {calibrated}.rpt_quarterly_learning "
                            f"WHERE year = 2020").result_rows)
    assert england["year"] == str(national)
    assert {f"Q{q}": str(n) for q, n in quarters.items()} == {k: v for k, v in england.items() if k != "year"}


def test_the_bands_count_published_figures_not_exact_ones(warehouse, calibrated):
    shown = published(warehouse.client, calibrated)
    bands = dict(warehouse.client.query(f"SELECT band, local_authorities FROM {calibrated}.pub_notifications_per_la_band "
                                        f"WHERE year = 2020").result_rows)
    assert set(bands) == {"0", "c", "3-6", "7+"}
    assert bands["c"] == sum(1 for (y, _), t in shown.items() if y == 2020 and t == "c")


def test_report_audit_exits_0_on_a_clean_build_and_1_naming_an_exposed_cell(warehouse, calibrated, capsys):
    args = ["report", "audit", "--data-dir", str(warehouse.data_dir), "--database", calibrated]
    assert main(args) == 0
    # a viewer table tampered with as the old SQL suppression left it: one authority shown
    # beside its region's total, the other pinned by subtraction
    c = warehouse.client
    y, la, region = c.query(
        f"SELECT year, local_authority, region_code FROM {calibrated}.pub_local_authority_notifications "
        f"WHERE period = 'year' AND notifications = 'c' ORDER BY local_authority LIMIT 1").result_rows[0]
    truth = exact(c, calibrated)
    others = [k for k, t in published(c, calibrated).items() if k[0] == y and t == "c" and k[1] != la
              and k[1] in {a.code for a in LOCAL_AUTHORITIES if a.region_code == region}]
    for _, other in others:
        c.command(f"ALTER TABLE {calibrated}.pub_local_authority_notifications UPDATE notifications = "
                  f"'{truth[(y, other)]}' WHERE year = {y} AND period = 'year' AND local_authority = '{other}' "
                  f"SETTINGS mutations_sync = 1")
    capsys.readouterr()
    try:
        assert main(args) == 1
        assert f"la/{y}/year/{la}" in capsys.readouterr().out
    finally:  # put the build back for the other tests
        build(warehouse.data_dir, calibrated, AS_OF, "--select", "rpt_build_info")


def test_a_lone_small_count_takes_a_partner_and_the_threshold_is_a_variable(warehouse):
    # North East: one authority with 1 (primary), one with 5, one with 9, one with 12, the rest 0.
    counts = {NORTH_EAST[0]: 1, NORTH_EAST[1]: 5, NORTH_EAST[2]: 9, NORTH_EAST[4]: 12}
    db = built(warehouse, "ne", [notification(la, i) for la, k in counts.items() for i in range(k)])
    try:
        shown = published(warehouse.client, db)
        assert shown[(2020, NORTH_EAST[0])] == "c" and shown[(2020, NORTH_EAST[3])] == "0"
        # the region's 27 is shown, so the 1 alone would be 27 - 5 - 9 - 12: the 5 goes with it
        assert [shown[(2020, NORTH_EAST[i])] for i in (1, 2, 4)] == ["c", "9", "12"]
        assert audit(warehouse.client, db, THRESHOLD) == []
        # threshold 5: the 5 is primary now; the viewer tables follow the build's threshold
        build(warehouse.data_dir, db, AS_OF, "--vars", json.dumps({"as_of": str(AS_OF), "suppression_threshold": 5}),
              "--select", "rpt_build_info")
        shown = published(warehouse.client, db)
        assert shown[(2020, NORTH_EAST[0])] == "c" and shown[(2020, NORTH_EAST[1])] == "c"
        assert audit(warehouse.client, db, 5) == []
    finally:
        warehouse.drop(db)


@pytest.mark.parametrize("seed", [3])
def test_random_histories_pass_the_audit(warehouse, seed):
    db = built(warehouse, f"rnd{seed}", random_history(seed=seed, cases=220))
    try:
        assert audit(warehouse.client, db, THRESHOLD) == []
        truth, shown = exact(warehouse.client, db), published(warehouse.client, db)
        assert all(shown[k] == "c" for k, n in truth.items() if 1 <= n <= THRESHOLD)
    finally:
        warehouse.drop(db)
