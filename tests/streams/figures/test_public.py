"""The stream's live figures as viewers see them (``pub_stream_figures``): national rows only, equal
to the stream's own figures and to the reference calculator's."""

from __future__ import annotations

import datetime as dt

from producers.reference.history import replay
from streams.figures.public import NATIONAL_FIGURES, public_rows
from streams.figures.reconciliation import FIGURES, snapshot_rows
from tests.dbt.random_history import random_history
from tests.streams.figures.folding import stream_fold

AS_OF = dt.datetime.now(dt.UTC).date()  # after the whole history: the stream counts as known now


def test_only_national_figures_reach_viewers_and_they_are_the_streams_own():
    messages = random_history(seed=5, cases=120)
    book, _, accepted = stream_fold(messages)
    rows = snapshot_rows(book, AS_OF, dt.datetime.now(dt.UTC), accepted)
    public = public_rows(rows)
    assert {r[2] for r in public} == NATIONAL_FIGURES
    assert {r[2] for r in rows} - NATIONAL_FIGURES == {"notifications_by_la", "accepted_events"}
    assert public == [r for r in rows if r[2] in NATIONAL_FIGURES], "unchanged: England's figures are exact"
    # the national notifications by year equal the reference calculator's cases
    from producers.reference.figures import cases_as_at, notifications

    cases = cases_as_at(replay(messages).accepted, AS_OF)
    years = {int(str(c.incident["notified_date"])[:4]) for c in cases}
    assert years
    for year in years:
        reference = notifications([c for c in cases if int(str(c.incident["notified_date"])[:4]) == year])
        live = {r[4]: r[5] for r in public if r[2] == "notifications" and r[3] == year}
        assert live == reference, year


def test_a_figure_not_listed_as_national_is_withheld():
    rows = [[None, AS_OF, figure, 2020, "x", 1] for figure in (*FIGURES, "a_figure_added_tomorrow")]
    assert {r[2] for r in public_rows(rows)} == NATIONAL_FIGURES
