"""`safeguarding produce` end to end, as a partner runs it: a subprocess, a file, a real broker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from infra.brokers import free_port
from tests.producers.publishing.events import history, line, notified
from tests.producers.publishing.kafka_helpers import consume_all

SAFEGUARDING = [sys.executable, "-m", "infra.cli"]


def run(args: list[str], cwd: Path, stdin: bytes | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CSPR_")}
    environment.update(env)
    done = subprocess.run([*SAFEGUARDING, *args], cwd=cwd, input=stdin, capture_output=True,
                          env=environment, timeout=120)
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(), done.stderr.decode())


def write_file(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.fixture
def mixed_file(tmp_path: Path) -> Path:
    good = history(40)
    # line 3 is not JSON, line 6 names an unknown local authority, line 9 is blank (skipped).
    lines = [*good[:2], b"{not json", *good[2:4], line(notified(99, la="E99999999")), *good[4:6], b"", *good[6:]]
    return write_file(tmp_path / "events.jsonl", lines)


@pytest.mark.integration
def test_produce_sends_the_valid_lines_reports_the_invalid_ones_and_exits_1(tansu_broker, mixed_file, tmp_path):
    done = run(["produce", str(mixed_file), "--bootstrap-servers", tansu_broker.bootstrap_servers,
                "--create-topics"], cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "line 3: invalid_json" in done.stderr
    assert "line 6: " in done.stderr and "E99999999" in done.stderr
    assert "40 sent, 2 invalid, 0 failed" in done.stdout
    assert "Traceback" not in done.stderr
    records = consume_all(tansu_broker.bootstrap_servers, "cspr.events.inbound", expected=40)
    assert sorted(r.value for r in records) == sorted(history(40))


@pytest.mark.integration
def test_produce_from_stdin_with_only_valid_lines_exits_0(tansu_broker, tmp_path):
    lines = history(5)
    done = run(["produce", "-", "--topic", "from-stdin", "--no-progress"], cwd=tmp_path,
               stdin=b"\n".join(lines) + b"\n", CSPR_KAFKA_BOOTSTRAP_SERVERS=tansu_broker.bootstrap_servers)
    assert done.returncode == 0, done.stderr
    assert "5 sent, 0 invalid, 0 failed to from-stdin" in done.stdout
    assert sorted(r.value for r in consume_all(tansu_broker.bootstrap_servers, "from-stdin", expected=5)) == sorted(lines)


def test_dry_run_validates_without_any_broker(mixed_file, tmp_path):
    done = run(["produce", str(mixed_file), "--dry-run"], cwd=tmp_path)
    assert done.returncode == 1
    assert "40 valid, 2 invalid (dry run: nothing sent)" in done.stdout
    assert "line 3: invalid_json" in done.stderr
    clean = write_file(tmp_path / "clean.jsonl", history(3))
    assert run(["produce", str(clean), "--dry-run"], cwd=tmp_path).returncode == 0


def test_produce_says_it_needs_a_broker_address_when_settings_say_embedded(mixed_file, tmp_path):
    done = run(["produce", str(mixed_file)], cwd=tmp_path, CSPR_KAFKA_BOOTSTRAP_SERVERS="embedded")
    assert done.returncode == 2
    assert "needs the address of a running Kafka broker" in done.stderr
    assert "Traceback" not in done.stderr


def test_produce_exits_3_quickly_when_the_broker_is_down(mixed_file, tmp_path):
    address = f"127.0.0.1:{free_port()}"
    started = time.monotonic()
    done = run(["produce", str(mixed_file), "--bootstrap-servers", address], cwd=tmp_path,
               CSPR_KAFKA_CONNECT_TIMEOUT_S="2")
    assert done.returncode == 3
    assert time.monotonic() - started < 15
    assert f"no Kafka broker answered at {address} within 2 s" in done.stderr
    assert done.stderr.count("\n") <= 2, done.stderr  # one clear message, no log spam or traceback


def test_a_missing_file_is_a_usage_error(tmp_path):
    done = run(["produce", str(tmp_path / "nope.jsonl"), "--dry-run"], cwd=tmp_path)
    assert done.returncode == 2 and "cannot read" in done.stderr


def test_dry_run_accepts_contract_v2_beside_v1(tmp_path):
    examples = Path(__file__).resolve().parents[3] / "schemas" / "examples"
    both = tmp_path / "both.jsonl"
    both.write_bytes((examples / "events.jsonl").read_bytes() + (examples / "events-v2.jsonl").read_bytes())
    done = run(["produce", str(both), "--dry-run"], cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "16 valid, 0 invalid (dry run: nothing sent)" in done.stdout
