"""Contract v2 beside v1: every v2 type's rules with reason and path, the JSON Schema files'
agreement, v1 upcast on read, and parse_event still answering v1 events with v1 models."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from schemas import (
    ALL_EVENT_TYPES,
    EVENT_TYPES,
    V2_EVENT_TYPES,
    EventValidationError,
    parse_event,
    read_event,
    upcast,
)
from schemas.export import JSON_DIR, render, schema_id
from schemas.learning import COVID_FACTORS, PRACTICE_THEMES, QUALITY_DIMENSIONS, WT2018_REQUIREMENTS
from schemas.reasons import STATELESS_REASONS
from schemas.upcasting import LATEST_TYPES
from tests.fixtures.events import EVENT_SHORT_TYPES, case_life, example
from tests.schemas.cases_v2 import INVALID_V2, V2_TYPES, VALID_V2, CaseV2, example_v2

README = Path(__file__).resolve().parents[2] / "schemas" / "README.md"


def _validator(event_type: str) -> Draft202012Validator:
    schema = json.loads((JSON_DIR / f"{event_type}.schema.json").read_text("utf-8"))
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


VALIDATORS = {t: _validator(t) for t in ALL_EVENT_TYPES}


def _reject(raw: Any) -> EventValidationError:
    with pytest.raises(EventValidationError) as info:
        parse_event(raw)
    return info.value


def test_contract_v2_adds_six_types_and_v1_keeps_its_ten() -> None:
    assert len(EVENT_TYPES) == 10 and len(V2_EVENT_TYPES) == 6
    assert set(V2_TYPES) == set(V2_EVENT_TYPES)
    assert not set(EVENT_TYPES) & set(V2_EVENT_TYPES)
    # A changed type keeps its name with the next version; a new type starts at v1.
    assert {t.rsplit(".v", 1)[0] for t in LATEST_TYPES.values()} == {t.rsplit(".v", 1)[0] for t in LATEST_TYPES}


@pytest.mark.parametrize("case", VALID_V2, ids=lambda c: c.id)
def test_valid_v2_variants_are_accepted(case: CaseV2) -> None:
    event = parse_event(case.event())
    assert type(event) is V2_EVENT_TYPES[event.type]
    assert parse_event(event.to_json()) == event  # written back as contract JSON, read the same


@pytest.mark.parametrize("case", INVALID_V2, ids=lambda c: c.id)
def test_each_v2_breach_is_rejected_with_its_reason_and_path(case: CaseV2) -> None:
    err = _reject(case.event())
    assert err.reason == case.reason, err
    assert case.path in [p.path for p in err.problems], err
    for problem in err.problems:
        assert problem.message and "Input should" not in problem.message, problem


@pytest.mark.parametrize("case", VALID_V2 + INVALID_V2, ids=lambda c: c.id)
def test_json_schema_gives_the_models_verdict_on_v2(case: CaseV2) -> None:
    event = case.event()
    expected = case.reason is None
    errors = list(VALIDATORS[case.kind].iter_errors(event)) if event["type"] == case.kind else \
        list(VALIDATORS[event["type"]].iter_errors(event))
    if case.gap is None:
        assert (not errors) is expected, [e.message for e in errors]
    else:
        assert errors == [], [e.message for e in errors]


def test_every_v2_gap_is_documented() -> None:
    section = README.read_text("utf-8").split("## What JSON Schema cannot check", 1)[1].split("\n## ", 1)[0]
    for gap in {c.gap for c in INVALID_V2 if c.gap}:
        assert re.search(re.escape(gap), section, re.IGNORECASE), f"schemas/README.md does not list: {gap}"


@pytest.mark.parametrize("event_type", sorted(V2_EVENT_TYPES))
def test_each_v2_schema_is_committed_draft_2020_12_and_says_contract_v2(event_type: str) -> None:
    schema = json.loads(render(event_type))
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] == schema_id(event_type)
    assert "Event contract v2" in schema["description"]
    assert (JSON_DIR / f"{event_type}.schema.json").read_text("utf-8") == render(event_type)


def test_the_v2_vocabularies_are_the_reports() -> None:
    assert len(PRACTICE_THEMES) == 6 and len(COVID_FACTORS) == 4  # para 2; paras 8-9
    assert len(QUALITY_DIMENSIONS) == 4 and len(WT2018_REQUIREMENTS) == 4  # paras 65-66; para 56
    for name in (*PRACTICE_THEMES, *COVID_FACTORS):
        assert f"`{name}`" in README.read_text("utf-8")


# --- upcasting: v1 stays valid forever, read as v2 with "not recorded" learning ---------------


@pytest.mark.parametrize("kind", EVENT_SHORT_TYPES)
def test_every_v1_example_is_read_in_its_latest_version(kind: str) -> None:
    raw = example(kind)
    as_written = parse_event(raw)
    assert type(as_written) is EVENT_TYPES[raw["type"]]  # parse_event: as written (the stream's input)
    latest = read_event(raw)
    assert latest.type == LATEST_TYPES.get(raw["type"], raw["type"])
    assert (latest.id, latest.source, latest.subject, latest.time) == (
        as_written.id, as_written.source, as_written.subject, as_written.time)
    v1_data = as_written.data.model_dump()
    assert {k: v for k, v in latest.data.model_dump().items() if k in v1_data} == v1_data
    added = set(latest.data.model_dump()) - set(v1_data)
    assert all(getattr(latest.data, name) is None for name in added)  # "not recorded", not an error
    # The upcast event is a valid v2 event in its own right: its JSON parses back to it.
    assert parse_event(latest.to_json()) == latest


def test_a_v1_review_has_not_recorded_themes() -> None:
    review = read_event(example("rapid_review.submitted"))
    assert review.type == "uk.gov.cspr.rapid_review.submitted.v2"
    assert review.data.practice_themes is None and review.data.covid_factors is None
    assert review.data.ethnicity_recorded is None and review.data.no_lcspr_reason is None


def test_upcasting_drops_the_v1_dataschema_and_leaves_v2_events_alone() -> None:
    raw = example("panel.feedback_issued")
    raw["dataschema"] = "urn:cspr:schema:uk.gov.cspr.panel.feedback_issued.v1"
    assert read_event(raw).dataschema is None
    v2 = parse_event(example_v2("uk.gov.cspr.panel.feedback_issued.v2"))
    assert upcast(v2) is v2


def test_a_whole_v1_case_life_reads_as_v2_without_error() -> None:
    latest = [read_event(e) for e in case_life()]
    assert sorted({e.type.rsplit(".", 1)[1] for e in latest}) == ["v1", "v2"]
    assert sum(e.type.endswith(".v2") for e in latest) == 4


# --- properties, as v1's: whatever is sent, an event or a validation error --------------------

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=3),
    max_leaves=10,
)


@st.composite
def edited_v2_events(draw: st.DrawFn) -> dict[str, Any]:
    """A v2 example with one data field replaced by a random value or removed."""
    event = example_v2(draw(st.sampled_from(V2_TYPES)))
    data = event["data"]
    key = draw(st.sampled_from(sorted(data)))
    if draw(st.booleans()):
        del data[key]
    else:
        data[key] = draw(json_values | st.sampled_from([*PRACTICE_THEMES, *COVID_FACTORS, "fully", "weak"]))
    return event


_GAP_MESSAGES = ("is after the date written in time", "must be on or before received_date")


@SETTINGS
@given(edited_v2_events())
def test_random_edits_of_v2_events_give_an_event_or_a_validation_error_and_json_schema_agrees(
        event: dict[str, Any]) -> None:
    schema_accepts = VALIDATORS[event["type"]].is_valid(event)
    try:
        parsed = parse_event(event)
    except EventValidationError as err:
        assert err.reason in STATELESS_REASONS
        assert err.problems and all(p.path and p.message for p in err.problems)
        if schema_accepts:
            assert all(any(m in p.message for m in _GAP_MESSAGES) for p in err.problems), err
    else:
        assert schema_accepts, [e.message for e in VALIDATORS[event["type"]].iter_errors(event)]
        assert parse_event(parsed.to_json()) == parsed
        assert upcast(parsed) is parsed


@SETTINGS
@given(st.sampled_from(EVENT_SHORT_TYPES), st.data())
def test_any_valid_v1_event_upcasts_to_a_valid_v2_event(kind: str, data: st.DataObject) -> None:
    raw = example(kind)
    if kind == "rapid_review.submitted":
        raw["data"]["decision"] = data.draw(st.sampled_from(["lcspr", "no_lcspr", "undecided"]))
    if kind == "panel.feedback_issued":
        raw["data"]["agrees_with_decision"] = data.draw(st.booleans())
    latest = read_event(raw)
    assert VALIDATORS[latest.type].is_valid(json.loads(latest.to_json()))
