"""Viewer marts (local-authority and regional breakdowns) suppress small counts: 1..threshold show
as 'c', zeros stay 0, a lone suppressed count is protected by a secondary suppression so it
cannot be derived from the totals, and national figures stay unsuppressed."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from producers.reference.history import replay
from schemas.local_authorities import LOCAL_AUTHORITIES
from tests.dbt.loading import build, load_replay

AS_OF = dt.date(2021, 3, 31)
NORTH_EAST = [la.code for la in LOCAL_AUTHORITIES if la.region_name == "North East"]


def notification(la: str, n: int) -> bytes:
    return json.dumps({
        "specversion": "1.0", "id": str(uuid.uuid4()), "source": f"urn:cspr:la:{la}",
        "type": "uk.gov.cspr.incident.notified.v1", "subject": f"SIN-{la}-{n:04d}",
        "time": "2020-06-01T10:00:00Z",
        "data": {
            "local_authority": la, "incident_date": "2020-05-30", "notified_date": "2020-06-01",
            "harm_type": "serious_harm", "category": "neglect", "subcategory": None,
            "children": [{"child_ref": f"child-{la}-{n}", "age_years": 3, "gender": "male", "ethnicity": "mixed"}],
            "imd_quintile": 2, "case_characteristics": [],
            "service_involvement": {"known_to_csc": "not_known", "court_order": "none", "living_situation": "at_home"},
            "covid_factor": False,
        },
    }).encode()


@pytest.fixture(scope="module")
def suppressed(warehouse):
    # North East: one authority with 1 (primary), one with 5, one with 9, the rest 0.
    # London: every authority but one with 4; one with 2. Elsewhere nothing (regions of 0).
    counts = {NORTH_EAST[0]: 1, NORTH_EAST[1]: 5, NORTH_EAST[2]: 9}
    london = [la.code for la in LOCAL_AUTHORITIES if la.region_name == "London"]
    counts.update({code: 4 for code in london})
    counts[london[0]] = 2
    lines = [notification(la, i) for la, k in counts.items() for i in range(k)]
    db = warehouse.new_database("sup")
    load_replay(warehouse.client, db, replay(lines))
    build(warehouse.data_dir, db, AS_OF)
    yield db, counts, london
    warehouse.drop(db)


def shown(client, db, mart, key, value):
    rows = client.query(f"SELECT {key}, notifications FROM {db}.{mart} WHERE year = 2020").result_rows
    return dict(rows)[value]


def test_a_count_at_or_below_the_threshold_shows_as_c_and_zeros_stay_zero(warehouse, suppressed):
    db, _, _ = suppressed
    assert shown(warehouse.client, db, "rpt_local_authority_notifications", "local_authority", NORTH_EAST[0]) == "c"
    assert shown(warehouse.client, db, "rpt_local_authority_notifications", "local_authority", NORTH_EAST[3]) == "0"


def test_a_lone_suppressed_authority_takes_the_next_smallest_of_its_region_with_it(warehouse, suppressed):
    db, _, london = suppressed
    la = lambda code: shown(warehouse.client, db, "rpt_local_authority_notifications", "local_authority", code)  # noqa: E731
    # North East total 15 is shown, so the 1 alone would be 15 - 5 - 9: the 5 is suppressed too
    assert (la(NORTH_EAST[1]), la(NORTH_EAST[2])) == ("c", "9")
    assert la(london[0]) == "c" and sum(la(code) == "c" for code in london) == 2


def test_regions_are_suppressed_in_twos_and_national_figures_are_not(warehouse, suppressed):
    db, counts, _ = suppressed
    regions = dict(warehouse.client.query(
        f"SELECT region_name, notifications FROM {db}.rpt_region_notifications WHERE year = 2020").result_rows)
    assert regions["North East"] == "15" and regions["London"] == str(sum(counts.values()) - 15)
    assert "c" not in regions.values() and regions["South West"] == "0"
    national = warehouse.client.query(
        f"SELECT notifications FROM {db}.rpt_notifications WHERE year = 2020 AND harm_type = 'total'").result_rows
    assert national == [(sum(counts.values()),)]


def test_the_threshold_is_a_variable(warehouse, suppressed):
    db, _, _ = suppressed
    build(warehouse.data_dir, db, AS_OF, "--vars", json.dumps({"as_of": str(AS_OF), "suppression_threshold": 5}),
          "--select", "rpt_region_notifications", "rpt_local_authority_notifications")
    try:
        # 1 and 5 are now primary; the 9 stays (two suppressed already protect each other)
        la = lambda code: shown(warehouse.client, db, "rpt_local_authority_notifications", "local_authority", code)  # noqa: E731
        assert (la(NORTH_EAST[0]), la(NORTH_EAST[1]), la(NORTH_EAST[2])) == ("c", "c", "9")
    finally:
        build(warehouse.data_dir, db, AS_OF, "--select", "rpt_region_notifications", "rpt_local_authority_notifications")
