"""The committed JSON Schema files: generated from the models, valid draft 2020-12, and giving a
partner who validates with ``jsonschema`` the models' verdict on every example."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from schemas import EVENT_TYPES, EventValidationError, parse_event
from schemas.export import JSON_DIR, drifted, render, schema_id, write
from tests.fixtures.events import example
from tests.schemas.cases import INVALID, VALID, Case

README = Path(__file__).resolve().parents[2] / "schemas" / "README.md"


def _validator(event_type: str) -> Draft202012Validator:
    schema = json.loads((JSON_DIR / f"{event_type}.schema.json").read_text("utf-8"))
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


VALIDATORS = {t: _validator(t) for t in EVENT_TYPES}


def _model_accepts(event: dict[str, Any]) -> bool:
    try:
        parse_event(event)
    except EventValidationError:
        return False
    return True


def test_regenerating_the_schemas_changes_nothing() -> None:
    assert drifted() == [], "run: python -m schemas.export"


def test_export_check_exits_1_and_names_a_drifted_file(tmp_path: Path) -> None:
    write(tmp_path)
    target = tmp_path / "uk.gov.cspr.lcspr.published.v1.schema.json"
    target.write_text(target.read_text("utf-8").replace('"minimum"', '"minimum "'), "utf-8")
    (tmp_path / "uk.gov.cspr.incident.notified.v1.schema.json").unlink()
    run = subprocess.run([sys.executable, "-m", "schemas.export", "--check", "--dir", str(tmp_path)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert "uk.gov.cspr.incident.notified.v1.schema.json" in run.stderr
    write(tmp_path)
    run = subprocess.run([sys.executable, "-m", "schemas.export", "--check", "--dir", str(tmp_path)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_each_schema_is_draft_2020_12_with_id_title_and_description(event_type: str) -> None:
    text = render(event_type)
    schema = json.loads(text)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == schema_id(event_type)
    assert schema["title"] == event_type and schema["description"]
    assert schema["additionalProperties"] is False
    assert text.endswith("}\n") and text == json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_the_date_time_format_is_really_checked() -> None:
    # Without rfc3339-validator installed, jsonschema skips "date-time" silently.
    assert "date-time" in FormatChecker().checkers
    assert not FormatChecker().conforms("2021-02-29T10:00:00Z", "date-time")


@pytest.mark.parametrize("case", VALID + INVALID, ids=lambda c: c.id)
def test_json_schema_gives_the_models_verdict(case: Case) -> None:
    event = case.event()
    expected_by_model = case.reason is None
    assert _model_accepts(event) is expected_by_model
    errors = list(VALIDATORS[example(case.kind)["type"]].iter_errors(event))
    if case.gap is None:
        assert (not errors) is expected_by_model, [e.message for e in errors]
    else:
        # A rule JSON Schema cannot express: only the platform rejects it (README lists it).
        assert errors == [], [e.message for e in errors]


def test_every_gap_in_the_agreement_is_documented() -> None:
    readme = README.read_text("utf-8")
    section = readme.split("## What JSON Schema cannot check", 1)[1].split("\n## ", 1)[0]
    gaps = {c.gap for c in INVALID if c.gap}
    for gap in gaps:
        assert re.search(re.escape(gap), section, re.IGNORECASE), f"schemas/README.md does not list: {gap}"
