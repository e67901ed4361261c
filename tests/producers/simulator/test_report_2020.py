"""The calibrated history reproduces the annual report 2020 exactly, and looks like real life."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict

import pytest

from producers.reference import compute_figures, replay
from producers.simulator import report_2020
from producers.simulator.report_2020 import CUTOFF, targets
from schemas import parse_event

AS_OF = dt.date(2021, 3, 31)
SEEDS = (0, 1)


@pytest.fixture(scope="module", params=SEEDS)
def history(request):
    return report_2020(request.param)


@pytest.fixture(scope="module")
def events(history):
    return [parse_event(line) for line in history]


def test_figures_equal_the_acceptance_json_exactly(history):
    assert compute_figures(history, 2020, AS_OF) == targets()


def test_every_event_is_valid_and_accepted(history):
    result = replay(history)
    assert result.rejected == []
    assert result.duplicates > 0  # some deliveries repeat, as in real life
    assert len(result.accepted) + result.duplicates == len(history)


def test_history_runs_from_2018_to_the_report_date(events):
    times = [e.time for e in events]
    assert min(times).year == 2018 and max(times) <= CUTOFF
    assert max(times).date() >= dt.date(2021, 3, 1)


def test_same_seed_same_bytes_other_seed_other_history():
    assert report_2020(5) == report_2020(5)
    assert report_2020(5) != report_2020(6)


def test_times_are_business_hours_in_london_time(events):
    for e in events:
        offset = e.time.utcoffset()
        assert offset in (dt.timedelta(0), dt.timedelta(hours=1))
        assert dt.time(8, 0) <= e.time.time() <= dt.time(19, 0), e.time


def test_each_case_lives_its_events_in_order(events):
    order = ["incident.notified", "rapid_review.submitted", "panel.feedback_issued", "lcspr.initiated",
             "lcspr.report_received", "lcspr.publication_notified", "lcspr.published"]
    by_case = defaultdict(list)
    for e in {e.dedup_key: e for e in events}.values():
        by_case[e.subject].append(e)
    for case in by_case.values():
        case.sort(key=lambda e: e.time)
        assert case[0].short_type == "incident.notified"
        ranks = [order.index(e.short_type) for e in case if e.short_type in order and e.short_type != "panel.feedback_issued"]
        assert ranks == sorted(ranks), [e.short_type for e in case]
    reviews = [(by_case[e.subject][0].data.notified_date, e.data.received_date)
               for e in events if e.short_type == "rapid_review.submitted"]
    assert all(received >= notified for notified, received in reviews)


def test_children_are_coherent_with_their_category(events):
    notes = [e for e in events if e.short_type == "incident.notified"]
    for e in notes:
        ages = [c.age_years for c in e.data.children]
        ethnicities = {c.ethnicity for c in e.data.children}
        if e.data.category == "sudi":
            assert ages == [0]
        if e.data.category == "suicide":
            assert ages[0] >= 11
        if e.data.category in ("young_person_perpetrator", "criminal_exploitation", "sexual_exploitation"):
            assert ages[0] >= 10
        assert len(ethnicities) == 1  # siblings share a case and a family background
    assert any(len(e.data.children) > 1 for e in notes)
    assert all(c.age_years >= 13 for e in notes for c in e.data.children if c.gender == "transgender")


def test_notifications_follow_the_working_week(events):
    days = Counter(e.data.notified_date.weekday() for e in events if e.short_type == "incident.notified")
    assert min(days[d] for d in range(5)) > 5 * max(days[5], days[6])


def test_history_includes_corrections_withdrawals_and_held_deliveries(history, events):
    kinds = Counter(e.short_type for e in events)
    assert kinds["incident.corrected"] >= 10 and kinds["incident.withdrawn"] >= 8
    assert kinds["rapid_review.decision_made"] > 0 and kinds["lcspr.published"] >= 15
    notified_so_far, held = set(), 0
    for e in events:
        if e.short_type == "incident.notified":
            notified_so_far.add(e.subject)
        elif e.subject not in notified_so_far:
            held += 1
    assert held > 0
    harm_moves = [e for e in events if e.short_type == "incident.corrected" and "harm_type" in e.data.changes.given()]
    assert harm_moves


def test_withdrawn_cases_are_extra_notifications(history):
    withdrawn = {json.loads(line)["subject"] for line in history if b"incident.withdrawn" in line}
    notified_2020 = {json.loads(line)["subject"] for line in history
                     if b"incident.notified" in line and b'"notified_date":"2020' in line}
    assert len(notified_2020 - withdrawn) == targets()["notifications"]["total"]
    assert withdrawn & notified_2020


def test_figures_as_at_an_earlier_date_differ_but_stay_consistent(history):
    early = compute_figures(history, 2020, dt.date(2020, 12, 31))
    rows, final = early["rapid_review_timeliness"]["all"], targets()["rapid_review_timeliness"]["all"]
    received = sum(v["received"] for v in rows.values())
    assert 0 < received < sum(v["received"] for v in final.values())  # fewer reviews in at the end of 2020
    assert sum(v["not_received"] for v in rows.values()) > sum(v["not_received"] for v in final.values())
