"""The stream's snapshot rows: every figure the marts also compute, read off the FigureBook."""

from __future__ import annotations

import datetime as dt

from schemas.local_authorities import LA_CODES
from streams.figures.reconciliation import COLUMNS, FIGURES, accepted_events, figure_rows, snapshot_rows
from tests.streams import events as e
from tests.streams.figures.test_book import LiveBook

AS_OF = dt.date(2026, 11, 26)
S, T, U = "SIN-2020-000001", "SIN-2019-000002", "SIN-2020-000003"


def small_book() -> LiveBook:
    live = LiveBook()
    live.feed(e.notified(S),  # 2020-05-04, death, reviewed on day 12
              e.submitted(S, "2020-05-20T00:00:00Z", "2020-05-20"),
              e.notified(T, time="2019-05-03T10:00:00Z", notified_date="2019-05-02",
                         harm_type="serious_harm", category="neglect"),
              e.notified(U, time="2020-10-02T10:00:00Z", notified_date="2020-10-01", la=e.OTHER_LA))
    return live


def by_key(rows):
    return {(r.figure, r.year, r.dimension): r.value for r in rows}


def test_every_figure_of_the_marts_is_in_the_snapshot_for_every_year_of_their_grid() -> None:
    rows = figure_rows(small_book().book, AS_OF, accepted=5)
    assert {r.figure for r in rows} == set(FIGURES)
    assert [r for r in rows if r.figure == "accepted_events"] == [("accepted_events", 0, "events", 5)]
    assert "accepted_events" not in {r.figure for r in figure_rows(small_book().book, AS_OF)}
    for figure in FIGURES[:-2]:
        assert {r.year for r in rows if r.figure == figure} == set(range(2018, 2028)), figure
    assert len({(r.figure, r.year, r.dimension) for r in rows}) == len(rows), "one row per key"


def test_snapshot_rows_are_the_books_answers() -> None:
    book = small_book().book
    got = by_key(figure_rows(book, AS_OF))
    assert got[("notifications", 2020, "death")] == 2  # S and U
    assert got[("notifications", 2020, "total")] == 2
    assert got[("notifications", 2019, "serious_harm")] == 1
    assert got[("notifications", 2021, "total")] == 0
    assert got[("notifications_by_la", 2020, e.LA)] == 1
    assert got[("notifications_by_la", 2020, e.OTHER_LA)] == 1
    assert sum(v for (f, y, _), v in got.items() if f == "notifications_by_la" and y == 2020) == 2
    assert len([k for k in got if k[0] == "notifications_by_la" and k[1] == 2020]) == len(LA_CODES)
    assert not [k for k in got if k[0] == "la_bands"], "bands are not a sum over partitions: not in a snapshot"
    # 2020-04-01..09-30: S only (U is October); 2019's period holds T
    assert got[("period_change", 2020, "04-01..09-30|current")] == 1
    assert got[("period_change", 2020, "04-01..09-30|previous")] == 1
    assert got[("period_change", 2021, "04-01..09-30|previous")] == 1
    assert got[("timeliness_received", 2020, "all|1-15")] == 1
    # T and U were never reviewed: by 2026 far past 60 working days
    assert got[("timeliness_not_received", 2020, "all|60+")] == 1
    assert got[("timeliness_not_received", 2019, "all|60+")] == 1
    assert got[("overdue", 0, "reviews")] == 2 == len(book.overdue(AS_OF))


def test_not_received_reviews_are_bucketed_as_at_the_snapshot_date() -> None:
    book = small_book().book
    early = by_key(figure_rows(book, dt.date(2020, 10, 2)))  # U notified the day before
    assert early[("timeliness_not_received", 2020, "all|1-15")] == 1
    assert early[("overdue", 0, "reviews")] == 1  # T only


def test_table_rows_carry_the_snapshot_date_and_time() -> None:
    taken = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)
    rows = snapshot_rows(small_book().book, AS_OF, taken)
    assert len(COLUMNS) == len(rows[0]) and {(r[0], r[1]) for r in rows} == {(taken, AS_OF)}


def test_accepted_events_are_each_cases_last_case_seq_summed() -> None:
    live = small_book()
    assert accepted_events(live.projection.cases.values()) == 4  # three notifications, one review
