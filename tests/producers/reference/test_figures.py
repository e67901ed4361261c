"""The acceptance figures on hand-made histories: each test pins one reading of a definition."""

from __future__ import annotations

import datetime as dt

import pytest

from producers.reference import compute_figures
from schemas.calendar import requested_completion_date
from schemas.figures import pct
from tests.producers.reference.builders import event, notified, review

T = dt.date(2021, 3, 31)
S = "SIN-2020-000001"


def timeliness(lines, year=2020, as_of=T):
    return compute_figures(lines, year, as_of)["rapid_review_timeliness"]


def bucket_of(table, period="all"):
    """The one (bucket, status) holding a case in a one-case table."""
    found = [(b, s) for b, row in table[period].items() for s, n in row.items() if n]
    assert len(found) == 1, table
    return found[0]


def test_review_on_the_15th_working_day_is_1_15_and_the_next_working_day_16_25():
    # Easter 2020: Good Friday 10 April and Easter Monday 13 April are not working days, and the
    # early May bank holiday moved to Friday 8 May; counted by hand: 9, 14-17, 20-24, 27-30 April,
    # 1 May is the 15th working day after 8 April 2020; 4 May the 16th.
    assert requested_completion_date(dt.date(2020, 4, 8)) == dt.date(2020, 5, 1)
    on_time = timeliness([notified(S, "2020-04-08"), review(S, "2020-05-01")])
    late = timeliness([notified(S, "2020-04-08"), review(S, "2020-05-04")])
    assert bucket_of(on_time, "relaxation") == ("1-15", "received")
    assert bucket_of(late, "relaxation") == ("16-25", "received")


def test_christmas_bank_holidays_are_not_working_days():
    # After Mon 14 Dec 2020: 15-18, 21-24 Dec (8), 29-31 Dec (11; 25 and 28 Dec are bank holidays),
    # 4-7 Jan 2021 (15; 1 Jan is one too). The review is due on 7 January 2021, so in 2021's table.
    assert requested_completion_date(dt.date(2020, 12, 14)) == dt.date(2021, 1, 7)
    lines = [notified(S, "2020-12-14"), review(S, "2021-01-07")]
    assert bucket_of(timeliness(lines, year=2021), "outside_relaxation") == ("1-15", "received")
    assert bucket_of(timeliness([lines[0], review(S, "2021-01-08")], year=2021)) == ("16-25", "received")
    assert timeliness(lines, year=2020)["all"]["1-15"]["received"] == 0


def test_review_received_on_the_notification_day_is_in_1_15():
    assert bucket_of(timeliness([notified(S, "2020-06-01"), review(S, "2020-06-01")])) == ("1-15", "received")


def test_review_not_received_at_t_counts_working_days_elapsed_to_t():
    lines = [notified(S, "2020-06-01"), review(S, "2020-09-01")]
    as_of = dt.date(2020, 8, 31)  # before the review is received (and before its time)
    table = timeliness(lines, as_of=as_of)
    assert bucket_of(table) == ("60+", "not_received")
    # June: 22 working days after the 1st, July 23, August 20 (31 Aug is a bank holiday): 64
    assert table["not_received_working_days"]["relaxation"] == {"min": 64, "max": 64}
    assert table["not_received_working_days"]["outside_relaxation"] == {"min": None, "max": None}
    assert bucket_of(timeliness(lines)) == ("60+", "received")


@pytest.mark.parametrize(("day", "due", "period"), [
    ("2020-03-10", "2020-03-31", "outside_relaxation"),
    ("2020-03-11", "2020-04-01", "relaxation"),
    ("2020-09-09", "2020-09-30", "relaxation"),
    ("2020-09-10", "2020-10-01", "outside_relaxation"),
])
def test_relaxation_window_includes_both_boundary_dates(day, due, period):
    assert requested_completion_date(dt.date.fromisoformat(day)) == dt.date.fromisoformat(due)
    table = timeliness([notified(S, day), review(S, day)])
    assert table[period]["1-15"]["received"] == 1 and table["all"]["1-15"]["received"] == 1


def test_correction_moves_a_case_between_harm_types_from_its_time_on():
    correction = event("incident.corrected", S, "2020-06-10", {"changes": {
        "harm_type": "death", "category": "fatal_physical_abuse", "subcategory": None}, "reason": "new_information"})
    lines = [notified(S, "2020-06-01"), correction]
    after = compute_figures(lines, 2020, T)
    before = compute_figures(lines, 2020, dt.date(2020, 6, 9))
    assert after["notifications"] == {"total": 1, "death": 1, "serious_harm": 0, "other": 0}
    assert after["death_categories"]["fatal_physical_abuse"] == 1
    assert after["non_fatal_categories"]["physical_abuse"]["serious_harm"] == 0
    assert before["notifications"]["serious_harm"] == 1


def test_corrections_apply_in_time_order_whatever_their_arrival_order():
    first = event("incident.corrected", S, "2020-06-10", {"changes": {"imd_quintile": 2}, "reason": "data_entry_error"})
    second = event("incident.corrected", S, "2020-06-12", {"changes": {"imd_quintile": 4}, "reason": "data_entry_error"})
    figures = compute_figures([notified(S, "2020-06-01"), second, first], 2020, T)
    assert figures["imd_quintile"]["4"] == 1 and figures["imd_quintile"]["2"] == 0


def test_withdrawal_by_t_removes_the_case_and_after_t_does_not():
    lines = [notified(S, "2020-06-01"), review(S, "2020-06-10"),
             event("incident.withdrawn", S, "2020-07-01", {"reason": "criteria_not_met"})]
    assert compute_figures(lines, 2020, T)["notifications"]["total"] == 0
    assert compute_figures(lines, 2020, T)["rapid_reviews_received_in_year"] == 0
    earlier = compute_figures(lines, 2020, dt.date(2020, 6, 30))
    assert earlier["notifications"]["total"] == 1 and earlier["rapid_reviews_received_in_year"] == 1


def test_a_duplicate_delivery_is_counted_once():
    line = notified(S, "2020-06-01")
    assert compute_figures([line, line], 2020, T)["notifications"]["total"] == 1


def test_time_is_filtered_at_the_end_of_t_in_utc():
    late = notified(S, "2020-12-31", time="2020-12-31T23:59:59.999999Z")
    later = notified("SIN-2020-000002", "2020-12-31", time="2021-01-01T00:30:00+01:00")  # 23:30Z on the 31st
    too_late = notified("SIN-2020-000003", "2020-12-31", time="2021-01-01T00:00:00Z")
    assert compute_figures([late, later, too_late], 2020, dt.date(2020, 12, 31))["notifications"]["total"] == 2


def test_lcspr_initiations_count_once_by_the_latest_initiated_date_by_time():
    lines = [notified(S, "2019-10-01"),
             event("lcspr.initiated", S, "2019-12-02", {"initiated_date": "2019-12-02"}),
             event("lcspr.initiated", S, "2020-02-03", {"initiated_date": "2020-02-03"}),
             notified("SIN-2020-000002", "2019-10-01"),
             event("lcspr.initiated", "SIN-2020-000002", "2019-11-04", {"initiated_date": "2019-11-04"}),
             notified("SIN-2020-000003", "2018-10-01"),
             event("lcspr.initiated", "SIN-2020-000003", "2018-11-01", {"initiated_date": "2018-11-01"}),
             notified("SIN-2021-000001", "2021-01-04"),
             event("lcspr.initiated", "SIN-2021-000001", "2021-02-01", {"initiated_date": "2021-02-01"})]
    assert compute_figures(lines, 2020, T)["lcspr_initiated_by_year"] == {"2018": 1, "2019": 1, "2020": 1}
    assert compute_figures(lines, 2019, dt.date(2019, 12, 31))["lcspr_initiated_by_year"] == {"2018": 1, "2019": 2}
    # "latest" is by the event's time, not by the largest date: a later restatement wins
    restated = [*lines, event("lcspr.initiated", S, "2020-03-05", {"initiated_date": "2019-12-20"})]
    assert compute_figures(restated, 2020, T)["lcspr_initiated_by_year"] == {"2018": 1, "2019": 2}


def _lcspr_case(subject, initiated, received, intent, published=None):
    lines = [notified(subject, "2019-01-07"),
             event("lcspr.initiated", subject, initiated, {"initiated_date": initiated}),
             event("lcspr.report_received", subject, received, {"received_date": received, "publication_intent": intent})]
    if published:
        lines.append(event("lcspr.published", subject, published, {"published_date": published}))
    return lines


def test_lcspr_report_status_is_taken_at_the_end_of_the_year():
    lines = (_lcspr_case("SIN-2019-000001", "2019-02-01", "2020-06-01", "intend_to_publish", "2020-12-31")
             + _lcspr_case("SIN-2019-000002", "2019-02-01", "2020-06-01", "intend_to_publish", "2021-01-04")
             + _lcspr_case("SIN-2019-000003", "2020-03-02", "2020-10-01", "not_publishing")
             + _lcspr_case("SIN-2019-000004", "2020-03-02", "2020-10-01", "intend_to_publish", "2020-11-02")
             + _lcspr_case("SIN-2019-000005", "2020-03-02", "2021-01-04", "intend_to_publish"))
    # 2019-02-01 to 2020-12-31 is well over 200 working days; 2020-03-02 to 2020-11-02 is 170
    assert compute_figures(lines, 2020, T)["lcspr_reports"] == {
        "received": 4, "published": 2, "intend_to_publish": 1, "not_publishing": 1,
        "published_over_200_working_days": 1}


def test_feedback_and_decisions_take_the_latest_by_time():
    lines = [notified(S, "2020-06-01"), review(S, "2020-06-20", decision="undecided"),
             event("panel.feedback_issued", S, "2020-07-01", {"feedback_date": "2020-07-01", "agrees_with_decision": False}),
             event("panel.feedback_issued", S, "2020-07-08", {"feedback_date": "2020-07-08", "agrees_with_decision": True}),
             event("rapid_review.decision_made", S, "2020-07-10", {"decision": "lcspr", "decision_date": "2020-07-10"}),
             notified("SIN-2020-000002", "2020-06-01")]
    figures = compute_figures(lines, 2020, T)
    assert figures["panel_feedback"] == {"agrees": 1, "disagrees": 0, "agreement_pct": 100.0}
    assert figures["lcspr_decisions"] == {"lcspr": 1, "no_lcspr": 0, "undecided": 1}
    assert compute_figures(lines, 2020, dt.date(2020, 7, 9))["lcspr_decisions"]["undecided"] == 2


def test_period_change_compares_april_to_september_with_the_year_before():
    lines = [notified(f"SIN-2020-{i:06d}", d) for i, d in enumerate(
        ["2019-04-01", "2019-09-30", "2019-10-01", "2020-04-01", "2020-06-15", "2020-09-30", "2020-03-31"])]
    assert compute_figures(lines, 2020, T)["period_change"] == {
        "from": "04-01", "to": "09-30", "current": 3, "previous": 2, "pct_change": 50.0}
    assert compute_figures([], 2020, T)["period_change"]["pct_change"] is None


def test_percentages_round_halves_away_from_zero():
    assert pct(1, 8) == 12.5 and pct(1, 16) == 6.3 and pct(-1, 16) == -6.3 and pct(54, 200) == 27.0
    assert pct(320, 464) == 69.0 and pct(1, 0) is None


def test_local_authority_bands_cover_all_151_authorities():
    lines = [notified(f"SIN-2020-{i:06d}", "2020-06-01") for i in range(7)]
    assert compute_figures(lines, 2020, T)["notifications_per_local_authority"] == {"0": 150, "1-2": 0, "3-6": 0, "7+": 1}
