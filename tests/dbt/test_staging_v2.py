"""Contract v2 in the warehouse: the raw store's checks accept the v2 types, and the v2 staging
views type every coded field as the events carry it (counted from the same events in Python)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from infra.warehouse.figures import read_figures
from producers.reference.figures import figures_from_replay
from producers.reference.history import replay
from producers.simulator import report_2020
from schemas.learning import COVID_FACTORS, PRACTICE_THEMES, WT2018_REQUIREMENTS
from tests.dbt.loading import build, load_replay

AS_OF = dt.date(2021, 3, 31)
V2_STAGING = ("stg_rapid_review_submitted_v2", "stg_rapid_review_decision_made_v2", "stg_panel_feedback_issued_v2",
              "stg_lcspr_report_received_v2", "stg_partnership_registered", "stg_partnership_yearly_report_received")


@pytest.fixture(scope="module")
def v2_store(warehouse):
    """The calibrated history in contract v2: its accepted events, case and partnership (routed
    apart by the history rules), as the sink writes them."""
    lines = report_2020(0, "v2")
    result = replay(lines)
    db = warehouse.new_database("v2")
    load_replay(warehouse.client, db, result)
    partnerships = [a.event for a in result.partnerships]
    assert len(partnerships) == sum(b"uk.gov.cspr.partnership." in line for line in lines)
    build(warehouse.data_dir, db, AS_OF, "--select", "source:cspr.raw_events", *V2_STAGING)
    yield warehouse.client, db, result, partnerships
    warehouse.drop(db)


def _events(result, event_type: str):
    return [a.event for a in result.accepted if a.event.type == event_type]


def test_reviews_keep_their_themes_factors_and_not_recorded(v2_store):
    client, db, result, _ = v2_store
    reviews = _events(result, "uk.gov.cspr.rapid_review.submitted.v2")
    rows = client.query(f"SELECT practice_themes_recorded, practice_themes, covid_factors_recorded, covid_factors, "
                        f"ethnicity_recorded, no_lcspr_reason FROM {db}.stg_rapid_review_submitted_v2").result_rows
    assert len(rows) == len(reviews) > 400
    themes = Counter(t for r in rows for t in r[1])
    assert themes == Counter(t for e in reviews for t in (e.data.practice_themes or []))
    assert set(themes) == set(PRACTICE_THEMES)
    assert sum(not r[0] for r in rows) == sum(e.data.practice_themes is None for e in reviews) > 0
    assert Counter(f for r in rows for f in r[3]) == Counter(f for e in reviews for f in (e.data.covid_factors or []))
    assert set(f for r in rows for f in r[3]) == set(COVID_FACTORS)
    assert Counter(r[4] for r in rows) == Counter(e.data.ethnicity_recorded for e in reviews)
    assert Counter(r[5] for r in rows) == Counter(e.data.no_lcspr_reason for e in reviews)


def test_feedback_keeps_direction_and_quality(v2_store):
    client, db, result, _ = v2_store
    feedback = _events(result, "uk.gov.cspr.panel.feedback_issued.v2")
    rows = client.query(f"SELECT disagreement, quality_assessed, quality_analysis_and_reflection "
                        f"FROM {db}.stg_panel_feedback_issued_v2").result_rows
    assert Counter(r[0] for r in rows) == Counter(e.data.disagreement for e in feedback)
    assert Counter((r[1], r[2]) for r in rows) == Counter(
        (e.data.quality is not None, e.data.quality.analysis_and_reflection if e.data.quality else None) for e in feedback)


def test_decisions_and_reports_are_typed(v2_store):
    client, db, result, _ = v2_store
    decisions = _events(result, "uk.gov.cspr.rapid_review.decision_made.v2")
    rows = client.query(f"SELECT decision, no_lcspr_reason, alternative_review_proposed "
                        f"FROM {db}.stg_rapid_review_decision_made_v2").result_rows
    assert Counter(rows) == Counter((e.data.decision, e.data.no_lcspr_reason, e.data.alternative_review_proposed)
                                    for e in decisions)
    reports = _events(result, "uk.gov.cspr.lcspr.report_received.v2")
    (n,) = client.query(f"SELECT count() FROM {db}.stg_lcspr_report_received_v2").result_rows[0]
    assert n == len(reports) > 0


def test_partnerships_and_their_yearly_reports_are_typed(v2_store):
    client, db, _, partnerships = v2_store
    registered = [e for e in partnerships if e.short_type == "partnership.registered"]
    rows = client.query(f"SELECT subject, local_authorities FROM {db}.stg_partnership_registered").result_rows
    assert sorted(rows) == sorted((e.subject, e.data.local_authorities) for e in registered)
    assert len({la for _, las in rows for la in las}) == 151
    reports = [e for e in partnerships if e.short_type == "partnership.yearly_report_received"]
    columns = ", ".join(WT2018_REQUIREMENTS)
    rows = client.query(f"SELECT evidence_read, {columns} FROM {db}.stg_partnership_yearly_report_received").result_rows
    expected = [(e.data.wt2018_evidence is not None,
                 *(getattr(e.data.wt2018_evidence, r) if e.data.wt2018_evidence else None for r in WT2018_REQUIREMENTS))
                for e in reports]
    assert Counter(rows) == Counter(expected)


def test_v2_events_count_in_every_v1_figure(warehouse):
    """A partner that moves to v2 changes no figure: the v1 marts read both versions (without it a
    v2 review, decision, feedback or LCSPR report would vanish from every v1 figure silently)."""
    lines = report_2020(0, "v2")
    result = replay(lines)
    assert any(a.event.type.endswith(".v2") for a in result.accepted)
    db = warehouse.new_database("v2fig")
    try:
        load_replay(warehouse.client, db, result)
        build(warehouse.data_dir, db, AS_OF)
        for year in (2019, 2020):
            got = read_figures(warehouse.client, db, year, AS_OF)
            want = figures_from_replay(result, year, AS_OF)
            assert got == want, {k: (got.get(k), v) for k, v in want.items() if got.get(k) != v}
    finally:
        warehouse.drop(db)
