"""``safeguarding validate``: the partner's check of a JSON Lines file against contract v1, run
as the real console script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from schemas import ALL_EVENT_TYPES
from tests.fixtures.events import case_life, new_event

SCRIPT = Path(sys.executable).with_name("safeguarding")
EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "examples" / "events.jsonl"


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(SCRIPT), "validate", *args], input=stdin, capture_output=True, timeout=60)
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(), done.stderr.decode())


def _jsonl(events: list[object]) -> bytes:
    return b"".join((e if isinstance(e, bytes) else json.dumps(e).encode()) + b"\n" for e in events)


@pytest.fixture
def mixed_file(tmp_path: Path) -> Path:
    bad_age = new_event("incident.notified", data={"children": [
        {"child_ref": "abcdef", "age_years": 18, "gender": "male", "ethnicity": "other"}]})
    two_problems = new_event("rapid_review.submitted", data={"decision": "maybe", "received_date": "2020-13-01"})
    path = tmp_path / "events.jsonl"
    path.write_bytes(_jsonl([case_life()[0], bad_age, b"", b"not json", two_problems, case_life()[2]]))
    return path


def test_a_valid_file_exits_0_with_the_count() -> None:
    done = run(str(EXAMPLES))
    assert (done.returncode, done.stdout, done.stderr) == (0, "10 valid, 0 invalid\n", "")


def test_invalid_lines_are_printed_with_reason_path_and_message(mixed_file: Path) -> None:
    done = run(str(mixed_file))
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0] == "line 2: schema_violation: data.children[0].age_years: must be at most 17, got 18"
    assert lines[1].startswith("line 4: invalid_json: $: is not JSON: ")
    assert lines[2].startswith("line 5: schema_violation: data.received_date: must be a calendar date written YYYY-MM-DD")
    assert lines[3].startswith("line 5: schema_violation: data.decision: must be one of 'lcspr', 'no_lcspr' or 'undecided'")
    assert lines[-1] == "2 valid, 3 invalid"
    assert len(lines) == 5


def test_json_mode_prints_one_result_per_line_and_the_count_on_stderr(mixed_file: Path) -> None:
    done = run("--json", str(mixed_file))
    assert done.returncode == 1
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["line"], r["valid"]) for r in results] == [(1, True), (2, False), (4, False), (5, False), (6, True)]
    assert results[0]["type"] == "uk.gov.cspr.incident.notified.v1" and results[0]["id"]
    assert results[1]["reason"] == "schema_violation"
    assert results[1]["problems"] == [{"path": "data.children[0].age_years", "message": "must be at most 17, got 18"}]
    assert [p["path"] for p in results[3]["problems"]] == ["data.received_date", "data.decision"]
    assert done.stderr == "2 valid, 3 invalid\n"


def test_standard_input_is_read_for_dash() -> None:
    done = run("-", stdin=EXAMPLES.read_bytes() + b'{"type": "uk.gov.cspr.incident.notified.v2"}\n')
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "line 11: unknown_type: type: is not an event type of contract v1 or v2, got "
        "'uk.gov.cspr.incident.notified.v2'; expected one of " + ", ".join(sorted(ALL_EVENT_TYPES)),
        "10 valid, 1 invalid",
    ]


def test_bytes_that_are_not_utf8_are_reported_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(_jsonl([json.dumps(case_life()[0]).replace("at_home", "\u00e0_home").encode("latin-1")]))
    done = run(str(path))
    assert done.returncode == 1
    assert done.stdout.startswith("line 1: not_utf8: $: is not UTF-8: byte ")


def test_windows_line_endings_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "crlf.jsonl"
    path.write_bytes(EXAMPLES.read_bytes().replace(b"\n", b"\r\n"))
    assert run(str(path)).stdout == "10 valid, 0 invalid\n"


def test_a_missing_file_is_a_clear_message_and_exit_2(tmp_path: Path) -> None:
    done = run(str(tmp_path / "nope.jsonl"))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == f"safeguarding validate: cannot read {tmp_path / 'nope.jsonl'}: No such file or directory\n"


def test_a_directory_is_a_clear_message_and_exit_2(tmp_path: Path) -> None:
    done = run(str(tmp_path))
    assert done.returncode == 2
    assert "cannot read" in done.stderr and "Traceback" not in done.stderr


def test_no_file_argument_is_a_usage_error() -> None:
    done = run()
    assert done.returncode == 2
    assert done.stderr == ("safeguarding validate: the following arguments are required: file "
                           "(see `safeguarding validate --help`)\n")


def test_v1_and_v2_events_are_validated_side_by_side() -> None:
    v2_examples = EXAMPLES.with_name("events-v2.jsonl").read_bytes()
    bad = json.loads(v2_examples.splitlines()[0])
    bad["data"]["practice_themes"] = ["poverty"]
    done = run("-", stdin=EXAMPLES.read_bytes() + v2_examples + _jsonl([bad]))
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "line 17: schema_violation: data.practice_themes[0]: must be one of 'child_daily_life', "
        "'reluctant_family_engagement', 'critical_thinking_and_challenge', 'changing_risk_and_need', "
        "'information_sharing' or 'leadership_and_culture', got 'poverty'",
        "16 valid, 1 invalid",
    ]
