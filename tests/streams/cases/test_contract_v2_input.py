"""The seam of contract v2 (schemas/README.md): until the stream learns v2, a v2 review, decision,
feedback or report folds as its v1 would, and a partnership event (not a case) is held (the
reference calculator counts it ``unknown_case``); nothing of a v1 history changes."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from producers.simulator import report_2020
from tests.streams.figures.folding import stream_fold

AS_OF = dt.date(2021, 3, 31)


def test_a_v2_history_gives_the_stream_the_figures_of_its_v1_history() -> None:
    v1_lines, v2_lines = report_2020(0), report_2020(0, "v2")
    v1_book, v1_out, v1_accepted = stream_fold(v1_lines)
    v2_book, v2_out, v2_accepted = stream_fold(v2_lines)
    assert v2_accepted == v1_accepted
    assert v2_book.notifications() == v1_book.notifications()
    assert v2_book.timeliness(2020, AS_OF) == v1_book.timeliness(2020, AS_OF)
    assert v2_book.overdue(AS_OF) == v1_book.overdue(AS_OF)
    partnership_events = sum(b"uk.gov.cspr.partnership." in line for line in v2_lines)
    v1_reasons = Counter(o.reason for o in v1_out if o.reason)
    v2_reasons = Counter(o.reason for o in v2_out if o.reason)
    outcomes = Counter((o.kind, o.reason) for o in v2_out if b"uk.gov.cspr.partnership." in o.raw)
    # Held for a notification that never comes: they stay held (the stream decides a held event
    # only when its case's notification arrives), so nothing of the v1 history's outcomes changes.
    assert outcomes == Counter({("held", None): partnership_events})
    assert v2_reasons == v1_reasons
