"""The contract's history rules, as the reference calculator applies them in arrival order."""

from __future__ import annotations

from producers.reference import (
    CASE_EXISTS,
    CASE_RULE_VIOLATION,
    SOURCE_NOT_AUTHORISED,
    UNKNOWN_CASE,
    replay,
)
from tests.producers.reference.builders import OTHER_LA, event, notified, review


def reasons(result):
    return [r.reason for r in result.rejected]


def test_invalid_message_is_rejected_with_its_validation_reason():
    result = replay([b"{not json", b"[]", notified("SIN-2020-000001", "2020-05-01").replace(b'"1.0"', b'"2.0"')])
    assert reasons(result) == ["invalid_json", "not_an_object", "schema_violation"]
    assert result.accepted == []


def test_same_source_and_id_again_is_a_duplicate_counted_once():
    line = notified("SIN-2020-000001", "2020-05-01")
    upper = line.replace(b'"id": "0', b'"id": "0')  # same id: case-insensitive comparison below
    result = replay([line, line, upper])
    assert len(result.accepted) == 1 and result.duplicates == 2 and result.rejected == []


def test_ids_are_compared_case_insensitively():
    a = event("rapid_review.submitted", "SIN-2020-000001", "2020-05-20",
              {"received_date": "2020-05-20", "decision": "no_lcspr"}, event_id="ABCDEF00-0000-4000-8000-000000000001")
    b = a.replace(b"ABCDEF00", b"abcdef00")
    result = replay([notified("SIN-2020-000001", "2020-05-01"), a, b])
    assert result.duplicates == 1 and len(result.accepted) == 2


def test_second_notification_of_a_case_is_case_exists():
    result = replay([notified("SIN-2020-000001", "2020-05-01"), notified("SIN-2020-000001", "2020-05-02")])
    assert reasons(result) == [CASE_EXISTS]


def test_event_before_its_notification_is_held_then_accepted_after_it():
    s = "SIN-2020-000001"
    result = replay([review(s, "2020-05-20"), notified(s, "2020-05-01")])
    assert result.rejected == []
    assert [(a.event.short_type, a.case_seq) for a in result.accepted] == [
        ("incident.notified", 1), ("rapid_review.submitted", 2)]


def test_held_event_more_than_seven_days_older_than_the_notification_is_unknown_case():
    s = "SIN-2020-000001"
    stale = event("panel.feedback_issued", s, "2020-05-01T10:00:00Z",
                  {"feedback_date": "2020-05-01", "agrees_with_decision": True})
    fresh = event("panel.feedback_issued", s, "2020-05-08T10:00:00Z",
                  {"feedback_date": "2020-05-08", "agrees_with_decision": True})
    result = replay([stale, fresh, notified(s, "2020-05-08", time="2020-05-08T10:00:01Z")])
    assert reasons(result) == [UNKNOWN_CASE]  # 7 days + 1 s before: too old; 1 s within 7 days: kept
    assert [a.event.short_type for a in result.accepted] == ["incident.notified", "panel.feedback_issued"]


def test_event_whose_case_is_never_notified_is_unknown_case_at_the_end():
    result = replay([review("SIN-2020-000009", "2020-05-20")])
    assert reasons(result) == [UNKNOWN_CASE]


def test_event_from_another_local_authority_is_source_not_authorised():
    s = "SIN-2020-000001"
    result = replay([notified(s, "2020-05-01"), review(s, "2020-05-20", source=f"urn:cspr:la:{OTHER_LA}")])
    assert reasons(result) == [SOURCE_NOT_AUTHORISED]


def test_events_after_a_withdrawal_are_accepted_but_change_nothing():
    s = "SIN-2020-000001"
    result = replay([notified(s, "2020-05-01"),
                     event("incident.withdrawn", s, "2020-05-05", {"reason": "criteria_not_met"}),
                     review(s, "2020-04-01")])  # would break a case rule, but the case is withdrawn
    assert result.rejected == []
    assert [a.effective for a in result.accepted] == [True, True, False]
    assert result.accepted[-1].case_seq == 3


def test_case_rules_reject_reviews_before_notification_and_invalid_corrections():
    s = "SIN-2020-000001"
    result = replay([
        notified(s, "2020-05-01"),
        review(s, "2020-04-30", time="2020-05-02"),  # before notified_date
        event("incident.corrected", s, "2020-05-03", {"changes": {"harm_type": "death"}, "reason": "new_information"}),
        review(s, "2020-05-20"),
        event("incident.corrected", s, "2020-05-25", {"changes": {"notified_date": "2020-05-21"}, "reason": "data_entry_error"}),
        event("incident.corrected", s, "2020-05-26", {"changes": {"notified_date": "2020-05-20"}, "reason": "data_entry_error"}),
    ])
    assert reasons(result) == [CASE_RULE_VIOLATION] * 3
    assert "physical_abuse" in result.rejected[1].detail
    assert [a.event.short_type for a in result.accepted] == ["incident.notified", "rapid_review.submitted",
                                                             "incident.corrected"]


def test_publication_before_the_latest_initiation_is_a_case_rule_violation():
    s = "SIN-2020-000001"
    result = replay([
        notified(s, "2020-01-06"),
        event("lcspr.initiated", s, "2020-03-02", {"initiated_date": "2020-03-02"}),
        event("lcspr.initiated", s, "2020-06-01", {"initiated_date": "2020-06-01"}),
        event("lcspr.published", s, "2020-07-01", {"published_date": "2020-05-01"}),
        event("lcspr.published", s, "2020-07-02", {"published_date": "2020-06-01"}),
    ])
    assert reasons(result) == [CASE_RULE_VIOLATION]
    assert result.accepted[-1].event.data.published_date.isoformat() == "2020-06-01"
