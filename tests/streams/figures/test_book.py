"""Each case's contribution to the live figures moves with corrections and withdrawals."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from schemas.figures import pct
from streams.cases.history import CaseProjection, Origin
from streams.figures.book import FigureBook
from streams.figures.contributions import case_as_at, contribution, diff, pending_review
from tests.streams import events as e

S, T = "SIN-2020-000001", "SIN-2020-000002"


class LiveBook:
    """The agent's loop in miniature: project, then apply each touched case's diff."""

    def __init__(self) -> None:
        self.projection = CaseProjection({})
        self.book = FigureBook()
        self.last: dict[str, Counter[str]] = {}

    def feed(self, *messages: bytes) -> None:
        for raw in messages:
            self.projection.process(raw, Origin())
            for subject in self.projection.take_touched():
                view = case_as_at(self.projection.cases[subject])
                new = contribution(view)
                self.book.apply(diff(self.last.get(subject, contribution(None)), new))
                self.book.set_pending(subject, pending_review(view))
                self.last[subject] = new


def test_a_correction_moves_the_notification_to_its_new_harm_type_and_month() -> None:
    live = LiveBook()
    live.feed(e.notified(S))
    assert live.book.notifications()["by_month"]["2020-05"]["death"] == 1
    live.feed(e.corrected(S, "2020-06-10T00:00:00Z",
                          {"harm_type": "serious_harm", "category": "neglect", "notified_date": "2020-06-01"}))
    months = live.book.notifications()["by_month"]
    assert "2020-05" not in months
    assert months["2020-06"] == {"death": 0, "serious_harm": 1, "other": 0, "total": 1}


def test_a_withdrawal_takes_the_case_out_of_every_count() -> None:
    live = LiveBook()
    live.feed(e.notified(S), e.withdrawn(S, "2020-05-10T00:00:00Z"))
    assert live.book.counts == {}
    assert live.book.pending == {}


def test_the_live_book_equals_the_book_rebuilt_from_the_case_table() -> None:
    live = LiveBook()
    live.feed(e.notified(S), e.notified(T, notified_date="2019-05-02", time="2020-05-04T11:00:00Z"),
              e.submitted(T, "2020-05-20T00:00:00Z", "2020-05-20"),
              e.corrected(S, "2020-05-06T00:00:00Z", {"notified_date": "2020-05-05"}))
    rebuilt = FigureBook.from_cases(live.projection.cases.values())
    assert rebuilt.counts == live.book.counts and rebuilt.pending == live.book.pending


def test_period_change_compares_the_same_dates_a_year_earlier() -> None:
    book = FigureBook()
    book.apply({"n|2020-04-01|death": 5, "n|2020-09-30|other": 2, "n|2020-10-01|death": 9,
                "n|2019-04-01|death": 4, "n|2019-03-31|death": 7})
    assert book.period_change(dt.date(2020, 4, 1), dt.date(2020, 9, 30)) == {
        "from": "2020-04-01", "to": "2020-09-30", "current": 7, "previous": 4, "pct_change": 75.0}
    assert book.period_change(dt.date(2022, 4, 1), dt.date(2022, 9, 30))["pct_change"] is None


def test_percentages_round_halves_away_from_zero() -> None:
    assert pct(1, 8) == 12.5 and pct(1, 16) == 6.3 and pct(-1, 16) == -6.3 and pct(1, 0) is None


def test_timeliness_buckets_received_and_pending_reviews_by_due_date_and_relaxation() -> None:
    live = LiveBook()
    # notified 2020-05-04 -> due 2020-05-27 (relaxation); received after 12 working days
    live.feed(e.notified(S), e.submitted(S, "2020-05-20T00:00:00Z", "2020-05-20"))
    # notified 2020-01-06 -> due 2020-01-27 (outside); never received
    live.feed(e.notified(T, notified_date="2020-01-06", time="2020-01-06T10:00:00Z"))
    table = live.book.timeliness(2020, dt.date(2021, 3, 31))
    assert table["relaxation"]["1-15"] == {"received": 1, "not_received": 0}
    assert table["outside_relaxation"]["60+"] == {"received": 0, "not_received": 1}
    assert table["all"]["60+"]["not_received"] == 1
    days = table["not_received_working_days"]["outside_relaxation"]
    assert days["min"] == days["max"] > 250
    assert table["not_received_working_days"]["relaxation"] == {"min": None, "max": None}


def test_overdue_lists_reviews_past_their_15th_working_day_and_not_received() -> None:
    live = LiveBook()
    live.feed(e.notified(S), e.notified(T, time="2020-05-04T11:00:00Z"),
              e.submitted(T, "2020-05-20T00:00:00Z", "2020-05-20"))
    # due on 2020-05-27: the 8 May (VE day) and 25 May bank holidays are skipped
    assert live.book.overdue(dt.date(2020, 5, 27)) == []
    rows = live.book.overdue(dt.date(2020, 5, 28))
    assert [(r["subject"], r["requested_completion_date"], r["working_days_overdue"]) for r in rows] == [
        (S, "2020-05-27", 1)]


def test_local_authority_bands_count_all_151_authorities() -> None:
    book = FigureBook()
    book.apply({"la|2020|E09000001": 3, "la|2020|E09000002": 7, "la|2019|E09000003": 1})
    bands = book.local_authority_bands(2020)
    assert bands == {"0": 149, "1-2": 0, "3-6": 1, "7+": 1}


def test_a_case_counts_as_known_at_a_time_only_with_what_was_known_then() -> None:
    live = LiveBook()
    live.feed(e.notified(S), e.submitted(S, "2021-04-02T00:00:00Z", "2020-05-20"))
    state = live.projection.cases[S]
    before, now = case_as_at(state, dt.datetime(2021, 3, 31, 23, 59, tzinfo=dt.UTC)), case_as_at(state)
    assert before is not None and before["received_date"] is None
    assert now is not None and now["received_date"] == "2020-05-20"
    assert case_as_at(state, dt.datetime(2020, 5, 1, tzinfo=dt.UTC)) is None
