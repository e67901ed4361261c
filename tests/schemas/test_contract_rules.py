"""Every rule of event contract v1, proved on the models: valid examples pass, each breach is
rejected with its reason code and the path of the offending field."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from schemas import EVENT_CLASSES, EVENT_TYPES, EventValidationError, parse_event
from schemas.incidents import IncidentChanges, incident_problems
from tests.fixtures.events import EVENT_SHORT_TYPES, case_life, example, new_event
from tests.schemas.cases import INVALID, RAW_INVALID, VALID, Case


def _reject(raw: Any) -> EventValidationError:
    with pytest.raises(EventValidationError) as info:
        parse_event(raw)
    return info.value


def test_the_examples_cover_all_ten_types_in_one_case_life() -> None:
    life = case_life()
    assert sorted(e["type"] for e in life) == sorted(EVENT_TYPES)
    assert len(EVENT_CLASSES) == 10
    assert {e["subject"] for e in life} == {"SIN-2020-000123"}
    assert {e["source"] for e in life} == {"urn:cspr:la:E06000001", "urn:cspr:panel"}
    assert len({e["id"] for e in life}) == 10


@pytest.mark.parametrize("kind", EVENT_SHORT_TYPES)
def test_a_valid_example_of_each_type_parses_to_its_class(kind: str) -> None:
    event = parse_event(example(kind))
    assert event.short_type == kind
    assert type(event) is EVENT_TYPES[event.type]
    assert event.subject == "SIN-2020-000123"
    assert event.time.tzinfo is not None


@pytest.mark.parametrize("case", VALID, ids=lambda c: c.id)
def test_valid_variants_are_accepted(case: Case) -> None:
    parse_event(case.event())


@pytest.mark.parametrize("case", INVALID, ids=lambda c: c.id)
def test_each_breach_is_rejected_with_its_reason_and_path(case: Case) -> None:
    err = _reject(case.event())
    assert err.reason == case.reason, err
    assert case.path in [p.path for p in err.problems], err
    for problem in err.problems:
        assert problem.message and "Input should" not in problem.message, problem  # our words, not pydantic's


@pytest.mark.parametrize(("name", "raw", "reason", "path"), RAW_INVALID, ids=[c[0] for c in RAW_INVALID])
def test_each_bad_message_is_rejected_with_its_reason(name: str, raw: bytes, reason: str, path: str) -> None:
    err = _reject(raw)
    assert (err.reason, [p.path for p in err.problems]) == (reason, [path]), err


def test_the_same_input_gives_the_same_verdict_as_bytes_text_and_dict() -> None:
    event = new_event("incident.notified", data={"imd_quintile": 7})
    verdicts = {_reject(form).args[0] for form in (event, json.dumps(event), json.dumps(event).encode())}
    assert len(verdicts) == 1


def test_every_problem_is_reported_not_just_the_first() -> None:
    event = example("incident.notified")
    event["data"]["children"][0]["age_years"] = 18
    event["data"]["imd_quintile"] = "1"
    event["data"]["harm_type"] = "fatal"
    paths = {p.path for p in _reject(event).problems}
    assert {"data.children[0].age_years", "data.imd_quintile", "data.harm_type"} <= paths


def test_a_message_of_exactly_256_kib_is_measured_not_rejected_for_size() -> None:
    event = example("incident.notified")
    base = len(json.dumps(event, separators=(",", ":")).encode())
    event["pad"] = ""
    padding = 256 * 1024 - base - len(',"pad":""')
    event["pad"] = "x" * padding
    raw = json.dumps(event, separators=(",", ":")).encode()
    assert len(raw) == 256 * 1024
    assert _reject(raw).reason == "schema_violation"  # judged on its fields: the size is allowed
    assert _reject(raw + b" ").reason == "message_too_large"


def test_text_with_a_lone_surrogate_is_not_utf8() -> None:
    assert _reject('{"type": "\ud800"}').reason == "not_utf8"
    assert _reject({"type": "\ud800"}).reason == "not_utf8"


def test_a_lone_surrogate_escape_is_invalid_json() -> None:
    raw = json.dumps(example("incident.notified")).replace("physical_abuse", "physical\\ud800").encode()
    assert _reject(raw).reason == "invalid_json"


def test_a_dict_that_cannot_be_json_is_rejected_cleanly() -> None:
    assert _reject({"id": {1, 2}}).reason == "invalid_json"
    assert _reject({"id": float("nan")}).reason == "invalid_json"
    assert _reject([example("incident.notified")]).reason == "not_an_object"


def test_ids_are_compared_case_insensitively_for_deduplication() -> None:
    lower, upper = example("incident.notified"), example("incident.notified")
    upper["id"] = lower["id"].upper()
    a, b = parse_event(lower), parse_event(upper)
    assert a.dedup_key == b.dedup_key == ("urn:cspr:la:E06000001", lower["id"].lower())
    other_source = parse_event(example("panel.feedback_issued") | {"id": lower["id"]})
    assert other_source.dedup_key != a.dedup_key


def test_time_keeps_its_offset_and_its_written_date() -> None:
    event = parse_event(new_event("incident.notified", time="2020-04-30T00:30:00+01:00"))
    assert event.time == dt.datetime(2020, 4, 29, 23, 30, tzinfo=dt.UTC)
    assert event.time.utcoffset() == dt.timedelta(hours=1)
    assert event.data.notified_date == dt.date(2020, 4, 30)


def test_a_correction_reports_only_the_fields_it_sets() -> None:
    event = parse_event(example("incident.corrected"))
    assert set(event.data.changes.given()) == {"case_characteristics", "covid_factor"}
    nulled = parse_event(new_event("incident.corrected", data={"changes": {"imd_quintile": None}}))
    assert nulled.data.changes.given() == {"imd_quintile": None}


def test_incident_problems_check_a_corrected_case_as_a_whole() -> None:
    # The stream applies a correction to the case's state and re-checks it with the same rules.
    state = dict(parse_event(example("incident.notified")).data.__dict__)
    state.update(IncidentChanges.model_validate({"category": "maltreatment_related_death"}).given())
    paths = {p.path for p in incident_problems(state)}
    assert paths == {"data.category", "data.subcategory"}
    state.update(harm_type="death", subcategory="medical")
    assert incident_problems(state) == []
    state["children"] = [{"child_ref": "abcdef"}, {"child_ref": "abcdef"}]
    assert [p.path for p in incident_problems(state)] == ["data.children[1].child_ref"]


def test_the_error_says_which_la_the_source_is_for() -> None:
    err = _reject(new_event("incident.notified", data={"local_authority": "E06000002"}))
    assert "E06000001" in err.problems[0].message and "E06000002" in err.problems[0].message


def test_unknown_fields_are_explained_as_identifiers_kept_out() -> None:
    err = _reject(new_event("incident.notified", data={"child_name": "Jane"}))
    assert "unknown fields are rejected" in err.problems[0].message


def test_models_are_immutable() -> None:
    event = parse_event(example("lcspr.initiated"))
    with pytest.raises(Exception, match="frozen"):
        event.subject = "SIN-2020-000999"


def test_an_error_serialises_for_the_dead_letter_topic() -> None:
    err = _reject(new_event("rapid_review.submitted", data={"decision": "maybe"}))
    assert err.as_dict() == {"reason": "schema_violation", "problems": [
        {"path": "data.decision", "message": err.problems[0].message}]}
    assert "'lcspr'" in err.problems[0].message and "'maybe'" in err.problems[0].message
