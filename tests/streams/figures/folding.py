"""The case stage's fold without a broker, for tests that need the stream's figures of a history."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from streams.cases.history import CaseProjection, Origin, Output
from streams.figures.book import FigureBook
from streams.figures.contributions import case_as_at, contribution, diff, pending_review
from streams.figures.reconciliation import accepted_events, snapshot_rows
from streams.figures.snapshots import insert_snapshot


def stream_fold(messages: list[bytes]) -> tuple[FigureBook, list[Output], int]:
    """The projection's outcomes (what the sink writes), the live book, updated by each touched
    case's change as the worker does, and the events accepted (as the worker counts them)."""
    projection, book = CaseProjection({}), FigureBook()
    last: dict[str, Counter[str]] = {}
    outputs: list[Output] = []
    for offset, raw in enumerate(messages):
        outputs += projection.process(raw, Origin("cspr.events.inbound", 0, offset))
        for subject in projection.take_touched():
            view = case_as_at(projection.cases[subject])
            new = contribution(view)
            book.apply(diff(last.get(subject, contribution(None)), new))
            book.set_pending(subject, pending_review(view))
            last[subject] = new
    return book, outputs, accepted_events(projection.cases.values())


def insert_stream_snapshot(client: Any, database: str, messages: list[bytes], as_of: dt.date,
                           taken_at: dt.datetime | None = None) -> list[list[Any]]:
    """Write the stream's snapshot of ``messages`` into ``{database}.stream_figures`` (and its
    viewer rows into ``pub_stream_figures``) with the worker's own function (by default taken a
    minute ago: before the marts built next)."""
    book, _, accepted = stream_fold(messages)
    rows = snapshot_rows(book, as_of, taken_at or dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1), accepted)
    insert_snapshot(client, database, rows)
    return rows
