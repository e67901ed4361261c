"""Contract v2 in the stream: a v2 review, decision, feedback or report folds as its v1 would,
and a partnership event (not a case) is routed apart: accepted once into its partnership's state,
never held for a notification or dead-lettered ``unknown_case``; nothing of a v1 history changes."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

from producers.simulator import report_2020
from streams.cases.history import PARTNERSHIP, CaseProjection, CaseState, Origin
from tests.schemas.cases_v2 import PR, example_v2
from tests.streams.figures.folding import stream_fold

AS_OF = dt.date(2021, 3, 31)


def test_a_v2_history_gives_the_stream_the_figures_of_its_v1_history() -> None:
    v1_lines, v2_lines = report_2020(0), report_2020(0, "v2")
    v1_book, v1_out, v1_accepted = stream_fold(v1_lines)
    v2_book, v2_out, v2_accepted = stream_fold(v2_lines)
    partnership_events = sum(b"uk.gov.cspr.partnership." in line for line in v2_lines)
    assert v2_accepted == v1_accepted + partnership_events  # every accepted event is stored, as dbt counts them
    assert v2_book.notifications() == v1_book.notifications()
    assert v2_book.timeliness(2020, AS_OF) == v1_book.timeliness(2020, AS_OF)
    assert v2_book.overdue(AS_OF) == v1_book.overdue(AS_OF)
    v1_reasons = Counter(o.reason for o in v1_out if o.reason)
    v2_reasons = Counter(o.reason for o in v2_out if o.reason)
    outcomes = Counter((o.kind, o.reason) for o in v2_out if b"uk.gov.cspr.partnership." in o.raw)
    assert outcomes == Counter({("accepted", None): partnership_events})
    assert v2_reasons == v1_reasons
    assert sum(o.kind == "held" for o in v2_out) == sum(o.kind == "held" for o in v1_out)


def test_a_partnership_event_is_accepted_once_and_never_shares_a_case_state() -> None:
    """Duplicates of a partnership event are duplicates, and a partnership whose reference is also
    a case's subject folds apart from that case (its state is ``partnership/<subject>``)."""

    lines = report_2020(0, "v2")
    notified = next(line for line in lines if b"incident.notified" in line)
    case_subject = json.loads(notified)["subject"]
    registered = example_v2(PR)
    registered["subject"] = case_subject
    raw = json.dumps(registered).encode()
    projection = CaseProjection({})
    out = projection.process(raw, Origin("in", 0, 0))
    out += projection.process(raw, Origin("in", 0, 1))
    out += projection.process(notified, Origin("in", 0, 2))
    assert [o.kind for o in out] == ["accepted", "duplicate", "accepted"]
    assert [o.case_seq for o in out] == [1, None, 1]
    assert projection.cases[f"partnership/{case_subject}"].kind == "partnership"
    assert projection.cases[case_subject].la is not None


def test_a_partnership_state_keeps_its_kind_through_the_case_table() -> None:
    """The case table stores JSON (``CaseState.to_json``) and a restart reads it back: a
    partnership's state must come back a partnership's, with its facts; a case's has no kind."""
    lines = report_2020(0, "v2")
    projection = CaseProjection({})
    for offset, raw in enumerate(lines):
        projection.process(raw, Origin("in", 0, offset))
    partnership = next(s for s in projection.cases.values() if s.kind == PARTNERSHIP)
    case = next(s for s in projection.cases.values() if s.kind is None and s.la is not None)
    for state in (partnership, case):
        assert CaseState.from_json(state.to_json()) == state
    assert partnership.subject.startswith("partnership/") and partnership.is_partnership
    assert partnership.la is None and partnership.facts and not partnership.held
    assert b'"kind"' not in case.to_json()
