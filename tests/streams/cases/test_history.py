"""The case projection applies the contract's history rules, in arrival order."""

from __future__ import annotations

import json
from collections import Counter

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
    Origin,
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
    assert projection.cases[S]["counts"]["duplicates"] == 1


def test_the_same_message_read_again_at_the_same_offset_is_replayed_not_counted_as_duplicate() -> None:
    projection = CaseProjection({})
    raw = e.notified(S)
    first = projection.process(raw, Origin("in", 0, 7))
    again = projection.process(raw, Origin("in", 0, 7))
    assert kinds(first) == kinds(again) == [(ACCEPTED, 1)]
    assert again[0].replay and projection.cases[S]["seq"] == 1
    assert projection.cases[S]["counts"]["duplicates"] == 0


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
    # the README's remedy: the LA sends the missing notification, then re-sends the events
    late = e.feedback(S, "2020-05-01T10:00:00Z", "2020-05-01")
    lines = [late, e.notified("SIN-2020-000002", time="2020-05-09T10:00:00Z"),   # expires the held event
             e.notified(S, time="2020-05-09T11:00:00Z"), late, late]
    projection, out = run(*lines)
    assert kinds(out) == [(HELD, None), (ACCEPTED, 1), (REJECTED, UNKNOWN_CASE), (ACCEPTED, 1), (ACCEPTED, 2),
                          (DUPLICATE, None)]
    assert projection.cases[S]["counts"] == {"accepted": 2, "duplicates": 1, "rejected": 1, "held": 0}
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


def test_a_held_event_is_rejected_once_the_watermark_passes_its_time_plus_7_days() -> None:
    other = "SIN-2020-000002"
    _, out = run(e.feedback(S, "2020-05-01T10:00:00Z", "2020-05-01"),
                 e.notified(other, time="2020-05-08T10:00:00Z"),
                 e.notified(other + "9", time="2020-05-08T10:00:01Z"))
    assert kinds(out) == [(HELD, None), (ACCEPTED, 1), (ACCEPTED, 1), (REJECTED, UNKNOWN_CASE)]
    assert out[3].subject == S


def test_an_event_from_another_local_authority_is_source_not_authorised() -> None:
    _, out = run(e.notified(S), e.submitted(S, "2020-05-20T00:00:00Z", "2020-05-20", la=e.OTHER_LA))
    assert kinds(out) == [(ACCEPTED, 1), (REJECTED, SOURCE_NOT_AUTHORISED)]


def test_events_for_a_withdrawn_case_are_accepted_and_change_nothing() -> None:
    projection, out = run(e.notified(S), e.withdrawn(S, "2020-05-10T00:00:00Z"),
                          e.submitted(S, "2020-05-02T00:00:00Z", "2020-05-01"))
    # the review would break the notified_date rule, but the case is withdrawn
    assert kinds(out) == [(ACCEPTED, 1), (ACCEPTED, 2), (ACCEPTED, 3)]
    assert [f[2] for f in projection.cases[S]["facts"]] == ["incident.notified", "incident.withdrawn"]


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


def test_watermarks_and_held_deadlines_are_rebuilt_from_recovered_cases() -> None:
    first = CaseProjection({})
    first.process(e.feedback(S, "2020-05-01T10:00:00Z", "2020-05-01"), Origin("in", 0, 0))
    first.process(e.notified("SIN-2020-000002", time="2020-05-03T10:00:00Z"), Origin("in", 0, 1))
    restarted = CaseProjection(first.cases)
    restarted.rebuild(first.cases.values())
    assert restarted.watermarks == first.watermarks
    out = restarted.process(e.notified("SIN-2020-000003", time="2020-05-09T10:00:00Z"), Origin("in", 0, 2))
    assert kinds(out) == [(ACCEPTED, 1), (REJECTED, UNKNOWN_CASE)]


def test_a_restart_resumes_from_the_committed_watermark_not_from_effects_read_after_the_commit() -> None:
    import datetime as dt

    x, y, b = "SIN-2020-000002", "SIN-2020-000003", "SIN-2020-000004"
    first = CaseProjection({})
    first.process(e.notified(x, time="2020-05-01T09:00:00Z", notified_date="2020-05-01"), Origin("in", 0, 0))
    committed = dict(first.watermarks)  # committed with offset 1
    after = [
        e.feedback(S, "2020-05-01T10:00:00Z", "2020-05-01"),                      # held
        e.notified(y, time="2020-05-10T10:00:00Z", notified_date="2020-05-10"),   # expires it
        e.notified(S, time="2020-05-05T10:00:00Z", notified_date="2020-05-05"),   # out of order
        e.notified(b, time="2020-06-01T10:00:00Z", notified_date="2020-06-01"),
    ]
    before_crash = []
    for offset, raw in enumerate(after, start=1):
        before_crash += first.process(raw, Origin("in", 0, offset))
    assert kinds(before_crash) == [(HELD, None), (ACCEPTED, 1), (REJECTED, UNKNOWN_CASE), (ACCEPTED, 1),
                                   (ACCEPTED, 1)]
    # the worker died after writing x's, y's and b's states to the changelog but not S's, before the commit
    recovered = {k: v for k, v in first.cases.items() if k != S}
    restarted = CaseProjection(recovered)
    restarted.rebuild(recovered.values(), watermarks=committed)
    assert restarted.watermarks == {0: dt.datetime(2020, 5, 1, 9, tzinfo=dt.UTC)}
    out = []
    for offset, raw in enumerate(after, start=1):  # read again from the commit
        out += restarted.process(raw, Origin("in", 0, offset))
    # the same decisions as before the crash (b's time, 2020-06-01, would have expired nothing and
    # released the held event instead); y's and b's outcomes are sent again as replays
    assert kinds(out) == kinds(before_crash)
    assert [o.replay for o in out] == [False, True, False, False, True]


def test_the_projection_agrees_with_the_reference_replay_on_a_random_history() -> None:
    from producers.simulator.random_scenario import RandomOptions, generate

    lines = list(generate(RandomOptions(cases=800, seed=11, out_of_order_rate=0.05, duplicate_rate=0.03,
                                        invalid_rate=0.02, correction_rate=0.1, withdrawal_rate=0.05)))
    projection, out = run(*lines)
    oracle = replay(lines)
    assert {(o.raw, o.case_seq) for o in out if o.kind == ACCEPTED} == {(a.raw, a.case_seq) for a in oracle.accepted}
    # held events the stream has not expired yet are the oracle's end-of-input unknown_case
    still_held = sum(len(s["held"]) for s in projection.cases.values())
    got = Counter(o.reason for o in out if o.kind == REJECTED)
    got["unknown_case"] += still_held
    assert got == Counter(r.reason for r in oracle.rejected)
    assert sum(o.kind == DUPLICATE for o in out) == oracle.duplicates
