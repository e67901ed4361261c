"""The case projection applies the contract's history rules, in arrival order."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pytest
from aiokafka.partitioner import murmur2

from producers.reference.history import replay
from streams.cases.history import (
    ACCEPTED,
    CASE_EXISTS,
    CASE_RULE_VIOLATION,
    DUPLICATE,
    HELD,
    REJECTED,
    SOURCE_NOT_AUTHORISED,
    UNKNOWN_CASE,
    CaseProjection,
    CaseState,
    Counts,
    Origin,
    held_over,
)
from tests.streams import events as e

S = "SIN-2020-000001"


def run(*messages: bytes) -> tuple[CaseProjection, list]:
    projection = CaseProjection({})
    outputs = []
    for offset, raw in enumerate(messages):
        outputs += projection.process(raw, Origin("in", 0, offset))
    return projection, outputs


def kinds(outputs: list) -> list[tuple[str, object]]:
    return [(o.kind, o.case_seq if o.kind == ACCEPTED else o.reason) for o in outputs]


def test_an_invalid_message_is_rejected_with_its_validation_reason() -> None:
    _, out = run(b"{not json", json.dumps({"type": "nope"}).encode())
    assert kinds(out) == [(REJECTED, "invalid_json"), (REJECTED, "unknown_type")]
    assert out[1].type == "nope"


def test_accepted_events_get_case_seq_in_arrival_order() -> None:
    _, out = run(e.notified(S), e.submitted(S, "2020-05-20T00:00:00Z", "2020-05-20"),
                 e.feedback(S, "2020-05-21T00:00:00Z", "2020-05-21"))
    assert kinds(out) == [(ACCEPTED, 1), (ACCEPTED, 2), (ACCEPTED, 3)]


def test_a_second_delivery_of_the_same_source_and_id_is_a_duplicate_whatever_the_id_case() -> None:
    first = e.notified(S, event_id="0F8FAD5B-D9CB-469F-A165-70867728950E")
    again = e.notified(S, event_id="0f8fad5b-d9cb-469f-a165-70867728950e")
    projection, out = run(first, again)
    assert kinds(out) == [(ACCEPTED, 1), (DUPLICATE, None)]
    assert projection.cases[S].counts.duplicates == 1


def test_the_same_message_read_again_at_the_same_offset_is_replayed_not_counted_as_duplicate() -> None:
    projection = CaseProjection({})
    raw = e.notified(S)
    first = projection.process(raw, Origin("in", 0, 7))
    again = projection.process(raw, Origin("in", 0, 7))
    assert kinds(first) == kinds(again) == [(ACCEPTED, 1)]
    assert again[0].replay and projection.cases[S].seq == 1
    assert projection.cases[S].counts.duplicates == 0


def test_a_second_notification_is_rejected_case_exists() -> None:
    _, out = run(e.notified(S), e.notified(S, time="2020-05-05T10:00:00Z"))
    assert kinds(out) == [(ACCEPTED, 1), (REJECTED, CASE_EXISTS)]


def test_an_event_before_its_notification_is_held_then_released_after_it() -> None:
    _, out = run(e.submitted(S, "2020-05-04T09:00:00Z", "2020-05-04"), e.notified(S))
    assert kinds(out) == [(HELD, None), (ACCEPTED, 1), (ACCEPTED, 2)]
    assert out[2].type.endswith("rapid_review.submitted.v1")


def test_a_held_event_more_than_7_days_older_than_the_notification_is_unknown_case() -> None:
    _, out = run(e.feedback(S, "2020-05-01T10:00:00Z", "2020-05-01"),
                 e.notified(S, time="2020-05-08T10:00:01Z"))
    assert kinds(out) == [(HELD, None), (ACCEPTED, 1), (REJECTED, UNKNOWN_CASE)]


def test_an_unknown_case_event_re_sent_after_its_notification_is_accepted_once() -> None:
    # the README's remedy: the notification came more than 7 days after the event, which it
    # rejects; the LA re-sends the event, now judged afresh against the notified case
    late = e.feedback(S, "2020-05-01T10:00:00Z", "2020-05-01")
    lines = [late, e.notified("SIN-2020-000002", time="2020-05-09T10:00:00Z"),   # another case: decides nothing
             e.notified(S, time="2020-05-09T11:00:00Z"), late, late]
    projection, out = run(*lines)
    assert kinds(out) == [(HELD, None), (ACCEPTED, 1), (ACCEPTED, 1), (REJECTED, UNKNOWN_CASE), (ACCEPTED, 2),
                          (DUPLICATE, None)]
    assert projection.cases[S].counts == Counts(accepted=2, duplicates=1, rejected=1, held=0)
    want = replay(lines)
    assert sorted((a.event.subject, a.case_seq) for a in want.accepted) == [
        (S, 1), (S, 2), ("SIN-2020-000002", 1)]
    assert want.duplicates == 1


def test_every_rejected_event_may_be_re_sent_with_the_same_id_once_fixed() -> None:
    # case_rule_violation: a review received before the notified date, re-sent once the date is
    # corrected, is accepted; re-sent again, it is a duplicate. source_not_authorised stays rejected.
    early = e.submitted(S, "2020-05-20T00:00:00Z", "2020-05-03")
    fixed = e.corrected(S, "2020-05-21T00:00:00Z", {"notified_date": "2020-05-02", "incident_date": "2020-05-01"})
    wrong = e.submitted("SIN-2020-000003", "2020-05-20T00:00:00Z", "2020-05-20", la=e.OTHER_LA)
    lines = [e.notified(S), early, fixed, early, early, e.notified("SIN-2020-000003"), wrong]
    _, out = run(*lines)
    assert kinds(out) == [(ACCEPTED, 1), (REJECTED, CASE_RULE_VIOLATION), (ACCEPTED, 2), (ACCEPTED, 3),
                          (DUPLICATE, None), (ACCEPTED, 1), (REJECTED, SOURCE_NOT_AUTHORISED)]
    want = replay(lines)
    assert [a.case_seq for a in want.accepted if a.event.subject == S] == [1, 2, 3]
    assert want.duplicates == 1 and [r.reason for r in want.rejected] == [CASE_RULE_VIOLATION, SOURCE_NOT_AUTHORISED]


def _others_until(day: int) -> list[bytes]:
    """Notifications of other cases, one a day from 2020-05-02 to 2020-05-<day>: they move the
    partition's event time far past S's held event (2020-05-01T10:00) + 7 days."""
    return [e.notified(f"SIN-2020-1{d:05d}", time=f"2020-05-{d:02d}T12:00:00Z", notified_date=f"2020-05-{d:02d}")
            for d in range(2, day + 1)]


@pytest.mark.parametrize(("notified_at", "outcome"), [
    ("2020-05-08T10:00:00Z", (ACCEPTED, 2)),         # exactly 7 days after the held event: within
    ("2020-05-05T10:00:00Z", (ACCEPTED, 2)),         # 4 days after it, read a month of event time later
    ("2020-05-08T10:00:01Z", (REJECTED, UNKNOWN_CASE)),  # one second more than 7 days
])
def test_a_held_event_is_decided_by_its_own_notification_not_by_other_cases_event_time(
        notified_at: str, outcome: tuple[str, object]) -> None:
    others = _others_until(30)
    lines = [e.feedback(S, "2020-05-01T10:00:00Z", "2020-05-01"), *others,
             e.notified(S, time=notified_at, notified_date=notified_at[:10])]
    projection, out = run(*lines)
    assert kinds(out) == [(HELD, None), *[(ACCEPTED, 1)] * len(others), (ACCEPTED, 1), outcome]
    assert out[-1].subject == S and out[-1].type.endswith("panel.feedback_issued.v1")
    assert projection.cases[S].held == () and projection.cases[S].counts.held == 0
    want = replay(lines)  # the reference calculator decides the same
    assert [(a.event.subject, a.case_seq) for a in want.accepted if a.event.subject == S] == \
        [(S, seq) for seq in range(1, 3 if outcome[0] == ACCEPTED else 2)]
    assert [r.reason for r in want.rejected] == ([] if outcome[0] == ACCEPTED else [UNKNOWN_CASE])


def test_a_held_event_whose_notification_never_comes_stays_held_and_is_reported_after_7_days() -> None:
    projection, out = run(e.feedback(S, "2020-05-01T10:00:00Z", "2020-05-01"), *_others_until(8))
    assert kinds(out)[0] == (HELD, None) and REJECTED not in {o.kind for o in out}
    assert projection.cases[S].counts.held == 1
    # 2020-05-08T12:00 is more than 7 days after the held event: its notification is overdue
    assert held_over(projection.cases.values(), projection.watermark) == [
        (S, "urn:cspr:panel", "2020-05-01T10:00:00+00:00")]
    assert held_over(projection.cases.values(), dt.datetime(2020, 5, 8, 10, tzinfo=dt.UTC)) == []
    # the reference calculator counts it unknown_case at the end of its input
    assert [r.reason for r in replay([e.feedback(S, "2020-05-01T10:00:00Z", "2020-05-01")]).rejected] == [UNKNOWN_CASE]


def test_an_event_from_another_local_authority_is_source_not_authorised() -> None:
    _, out = run(e.notified(S), e.submitted(S, "2020-05-20T00:00:00Z", "2020-05-20", la=e.OTHER_LA))
    assert kinds(out) == [(ACCEPTED, 1), (REJECTED, SOURCE_NOT_AUTHORISED)]


def test_events_for_a_withdrawn_case_are_accepted_and_change_nothing() -> None:
    projection, out = run(e.notified(S), e.withdrawn(S, "2020-05-10T00:00:00Z"),
                          e.submitted(S, "2020-05-02T00:00:00Z", "2020-05-01"))
    # the review would break the notified_date rule, but the case is withdrawn
    assert kinds(out) == [(ACCEPTED, 1), (ACCEPTED, 2), (ACCEPTED, 3)]
    assert [f.kind for f in projection.cases[S].facts] == ["incident.notified", "incident.withdrawn"]


def test_a_review_received_before_the_notified_date_is_a_case_rule_violation() -> None:
    _, out = run(e.notified(S), e.submitted(S, "2020-05-20T00:00:00Z", "2020-05-03"))
    assert kinds(out) == [(ACCEPTED, 1), (REJECTED, CASE_RULE_VIOLATION)]


def test_a_correction_that_leaves_the_case_invalid_is_a_case_rule_violation() -> None:
    _, out = run(e.notified(S), e.corrected(S, "2020-05-06T00:00:00Z", {"harm_type": "serious_harm"}))
    assert kinds(out) == [(ACCEPTED, 1), (REJECTED, CASE_RULE_VIOLATION)]
    assert "category 'sudi'" in out[1].detail


def test_a_correction_may_not_move_notified_date_after_an_accepted_review() -> None:
    _, out = run(e.notified(S), e.submitted(S, "2020-05-20T00:00:00Z", "2020-05-10"),
                 e.corrected(S, "2020-05-21T00:00:00Z", {"notified_date": "2020-05-11"}))
    assert kinds(out) == [(ACCEPTED, 1), (ACCEPTED, 2), (REJECTED, CASE_RULE_VIOLATION)]


def test_publication_before_the_latest_initiation_is_a_case_rule_violation() -> None:
    _, out = run(e.notified(S), e.initiated(S, "2020-06-01T00:00:00Z", "2020-06-01"),
                 e.initiated(S, "2020-07-01T00:00:00Z", "2020-07-01"),
                 e.published(S, "2020-08-01T00:00:00Z", "2020-06-15"))
    assert kinds(out)[-1] == (REJECTED, CASE_RULE_VIOLATION)


def test_the_projection_agrees_with_the_reference_replay_on_a_mixed_history() -> None:
    other = "SIN-2020-000002"
    dup = e.notified(other, time="2020-05-04T11:00:00Z")
    lines = [
        e.submitted(S, "2020-05-04T09:00:00Z", "2020-05-04"), e.notified(S), dup, dup,
        e.notified(S, time="2020-05-05T00:00:00Z"), b"[]",
        e.corrected(S, "2020-05-06T00:00:00Z", {"notified_date": "2020-05-05"}),
        e.corrected(other, "2020-05-06T00:00:00Z", {"harm_type": "serious_harm", "category": "neglect"}),
        e.withdrawn(other, "2020-05-07T00:00:00Z"), e.feedback(other, "2020-05-08T00:00:00Z", "2020-05-08"),
        e.submitted(other, "2020-05-08T00:00:00Z", "2020-05-08", la=e.OTHER_LA),
    ]
    _, out = run(*lines)
    oracle = replay(lines)
    assert sorted(o.raw for o in out if o.kind == ACCEPTED) == sorted(a.raw for a in oracle.accepted)
    assert sorted((o.raw, o.reason) for o in out if o.kind == REJECTED) == sorted(
        (r.raw, r.reason) for r in oracle.rejected)
    assert sum(o.kind == DUPLICATE for o in out) == oracle.duplicates


def test_another_partition_reading_ahead_does_not_expire_a_held_event() -> None:
    projection = CaseProjection({})
    held = projection.process(e.feedback(S, "2020-05-01T10:00:00Z", "2020-05-01"), Origin("in", 0, 0))
    ahead = projection.process(e.notified("SIN-2020-000002", time="2020-06-01T10:00:00Z"), Origin("in", 1, 0))
    released = projection.process(e.notified(S, time="2020-05-04T10:00:00Z"), Origin("in", 0, 1))
    assert kinds(held + ahead + released) == [(HELD, None), (ACCEPTED, 1), (ACCEPTED, 1), (ACCEPTED, 2)]


def test_a_held_event_survives_a_restart_and_is_released_by_its_notification() -> None:
    first = CaseProjection({})
    first.process(e.feedback(S, "2020-05-01T10:00:00Z", "2020-05-01"), Origin("in", 0, 0))
    first.process(e.notified("SIN-2020-000002", time="2020-05-30T10:00:00Z"), Origin("in", 0, 1))
    recovered = {s: CaseState.from_json(c.to_json()) for s, c in first.cases.items()}  # as the table stores them
    restarted = CaseProjection(recovered)
    restarted.rebuild(recovered.values())
    assert restarted.watermark == first.watermark == dt.datetime(2020, 5, 30, 10, tzinfo=dt.UTC)
    out = restarted.process(e.notified(S, time="2020-05-07T10:00:00Z", notified_date="2020-05-07"),
                            Origin("in", 0, 2))
    assert kinds(out) == [(ACCEPTED, 1), (ACCEPTED, 2)]
    assert out[1].origin == Origin("in", 0, 0)  # the held event, from where it was first read


def test_a_restart_makes_the_same_decisions_from_effects_read_after_the_commit() -> None:
    x, y, b = "SIN-2020-000002", "SIN-2020-000003", "SIN-2020-000004"
    first = CaseProjection({})
    first.process(e.notified(x, time="2020-05-01T09:00:00Z", notified_date="2020-05-01"), Origin("in", 0, 0))
    after = [  # read after the commit of offset 1
        e.feedback(S, "2020-05-01T10:00:00Z", "2020-05-01"),                      # held
        e.notified(y, time="2020-05-10T10:00:00Z", notified_date="2020-05-10"),   # another case: decides nothing
        e.notified(S, time="2020-05-05T10:00:00Z", notified_date="2020-05-05"),   # out of order: releases it
        e.notified(b, time="2020-06-01T10:00:00Z", notified_date="2020-06-01"),
    ]
    before_crash = []
    for offset, raw in enumerate(after, start=1):
        before_crash += first.process(raw, Origin("in", 0, offset))
    assert kinds(before_crash) == [(HELD, None), (ACCEPTED, 1), (ACCEPTED, 1), (ACCEPTED, 2), (ACCEPTED, 1)]
    # the worker died after writing x's, y's and b's states to the changelog but not S's, before the commit
    recovered = {k: v for k, v in first.cases.items() if k != S}
    restarted = CaseProjection(recovered)
    restarted.rebuild(recovered.values())
    out = []
    for offset, raw in enumerate(after, start=1):  # read again from the commit
        out += restarted.process(raw, Origin("in", 0, offset))
    # the same decisions as before the crash; y's and b's outcomes are sent again as replays
    assert kinds(out) == kinds(before_crash)
    assert [o.replay for o in out] == [False, True, False, False, True]


def test_the_projection_agrees_with_the_reference_replay_on_a_random_history() -> None:
    from producers.simulator.random_scenario import RandomOptions, generate

    lines = list(generate(RandomOptions(cases=800, seed=11, out_of_order_rate=0.05, duplicate_rate=0.03,
                                        invalid_rate=0.02, correction_rate=0.1, withdrawal_rate=0.05)))
    projection, out = run(*lines)
    oracle = replay(lines)
    assert {(o.raw, o.case_seq) for o in out if o.kind == ACCEPTED} == {(a.raw, a.case_seq) for a in oracle.accepted}
    # events still held are the oracle's end-of-input unknown_case
    still_held = sum(len(s.held) for s in projection.cases.values())
    got = Counter(o.reason for o in out if o.kind == REJECTED)
    got["unknown_case"] += still_held
    assert got == Counter(r.reason for r in oracle.rejected)
    assert sum(o.kind == DUPLICATE for o in out) == oracle.duplicates


def _by_subject(lines: list[bytes], partitions: int) -> list[tuple[bytes, Origin]]:
    """The lines as the inbound topic holds them: keyed by ``subject`` (Kafka's default partitioner),
    in order within each partition; the partitions read interleaved, one message from each in turn."""
    queues: list[list[bytes]] = [[] for _ in range(partitions)]
    for raw in lines:
        try:
            doc = json.loads(raw)
        except ValueError:
            doc = None
        subject = doc.get("subject") if isinstance(doc, dict) else None
        key = subject.encode() if isinstance(subject, str) else b""
        queues[(murmur2(key) & 0x7FFFFFFF) % partitions].append(raw)
    out: list[tuple[bytes, Origin]] = []
    for i in range(max(map(len, queues))):
        out += [(q[i], Origin("in", p, i)) for p, q in enumerate(queues) if i < len(q)]
    return out


@pytest.mark.parametrize("partitions", [1, 3])
@pytest.mark.parametrize(("generator", "seed"), [("dbt", 1), ("dbt", 5), ("dbt", 7), ("dbt", 10), ("dbt", 11),
                                                 ("simulator", 1), ("simulator", 5), ("simulator", 7)])
def test_the_stream_decides_exactly_as_the_reference_calculator_on_random_histories(
        generator: str, seed: int, partitions: int) -> None:
    from producers.simulator.random_scenario import RandomOptions, generate
    from tests.dbt.random_history import random_history

    lines = (random_history(seed, cases=150) if generator == "dbt" else
             list(generate(RandomOptions(cases=150, seed=seed, out_of_order_rate=0.05, duplicate_rate=0.03,
                                         invalid_rate=0.02, correction_rate=0.1, withdrawal_rate=0.05))))
    projection = CaseProjection({})
    out = []
    for raw, origin in _by_subject(lines, partitions):
        out += projection.process(raw, origin)
    oracle = replay(lines)
    accepted = {(o.source, o.event_id, o.case_seq) for o in out if o.kind == ACCEPTED}
    assert accepted == {(a.event.source, a.event.id.lower(), a.case_seq) for a in oracle.accepted}
    assert len(accepted) == len(oracle.accepted)
    rejected = Counter((o.raw, o.reason) for o in out if o.kind == REJECTED)
    still_held = Counter((h.raw.encode(), UNKNOWN_CASE) for s in projection.cases.values() for h in s.held)
    assert rejected + still_held == Counter((r.raw, r.reason) for r in oracle.rejected)
    assert sum(o.kind == DUPLICATE for o in out) == oracle.duplicates


def test_a_case_state_is_an_immutable_record_that_the_table_stores_and_returns_as_it_was() -> None:
    import dataclasses

    projection, _ = run(e.submitted(S, "2020-05-04T09:00:00Z", "2020-05-04"), e.notified(S),
                        e.notified(S), e.corrected(S, "2020-05-06T00:00:00Z", {"notified_date": "2020-05-03", "incident_date": "2020-05-01"}),
                        e.feedback("SIN-2020-000002", "2020-05-01T10:00:00Z", "2020-05-01"))
    for state in projection.cases.values():
        assert CaseState.from_json(state.to_json()) == state
    case = projection.cases[S]
    with pytest.raises(dataclasses.FrozenInstanceError):
        case.seq = 9  # type: ignore[misc]
    assert [(f.seq, f.kind) for f in case.facts] == [(1, "incident.notified"), (2, "rapid_review.submitted"),
                                                     (3, "incident.corrected")]
    assert case.counts == Counts(accepted=3, duplicates=0, rejected=1, held=0)  # the second: case_exists
    held = projection.cases["SIN-2020-000002"].held
    assert [(h.source, h.time) for h in held] == [("urn:cspr:panel", "2020-05-01T10:00:00+00:00")]


def test_a_failure_inside_the_rules_leaves_the_case_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    import streams.cases.history as history

    projection, _ = run(e.notified(S))
    before = projection.cases[S]

    def broken(state: CaseState, event: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(history, "case_rule_problem", broken)
    out = projection.process(e.submitted(S, "2020-05-20T00:00:00Z", "2020-05-20"), Origin("in", 0, 9))
    assert [(o.kind, o.reason) for o in out] == [(REJECTED, "processing_error")]
    assert projection.cases[S] is before
