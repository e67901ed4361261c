"""``safeguarding worker`` and ``safeguarding run``: clear failures, and a run that can be repeated."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infra.cli import main
from tests.streams import events as e


def test_worker_without_a_broker_address_is_a_usage_error(monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CSPR_KAFKA_BOOTSTRAP_SERVERS", "embedded")
    assert main(["worker"]) == 2
    assert "needs a broker address" in capsys.readouterr().err


def test_worker_with_no_broker_listening_is_service_unavailable(monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CSPR_KAFKA_CONNECT_TIMEOUT_S", "1")
    assert main(["worker", "--bootstrap-servers", "127.0.0.1:9"]) == 3
    assert "no Kafka broker answered at 127.0.0.1:9" in capsys.readouterr().err


def test_worker_with_a_missing_partner_token_file_names_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["worker", "--bootstrap-servers", "127.0.0.1:9", "--partner-views", str(tmp_path / "tokens")]) == 2
    err = capsys.readouterr().err
    assert f"--partner-views: cannot read the token file {tmp_path / 'tokens'}" in err and "Traceback" not in err


def test_run_with_a_missing_file_names_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.jsonl"
    assert main(["run", "--events", str(missing), "--data-dir", str(tmp_path / "d")]) == 2
    assert f"cannot read {missing}" in capsys.readouterr().err


def _run(events: Path, data_dir: Path, code: int) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-m", "infra.cli", "run", "--events", str(events), "--data-dir",
                           str(data_dir), "--no-dbt", "--timeout", "120"], capture_output=True, text=True,
                          timeout=300, check=False, cwd=data_dir.parent)
    assert proc.returncode == code, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _rows(data_dir: Path) -> list[list[object]]:
    code = ("import json, sys\nfrom infra.settings import load_settings\nfrom infra.warehouse import get_client\n"
            "c = get_client(load_settings(), data_dir=sys.argv[1])\n"
            "print(json.dumps([list(r) for r in c.query('SELECT source, event_id, case_seq, count() "
            "FROM cspr.raw_events FINAL GROUP BY ALL ORDER BY ALL').result_rows] + "
            "[list(r) for r in c.query('SELECT reason, count() FROM cspr.dead_letters FINAL GROUP BY reason').result_rows]))")
    proc = subprocess.run([sys.executable, "-c", code, str(data_dir)], capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


@pytest.mark.integration
def test_run_streams_a_file_into_the_warehouse_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    s, t = "SIN-2020-000001", "SIN-2020-000002"
    notification = e.notified(s)
    lines = [e.submitted(t, "2020-05-04T09:00:00Z", "2020-05-04"), notification, notification,
             e.notified(t, time="2020-05-04T12:00:00Z"), b"{bad", e.submitted(s, "2020-05-20T00:00:00Z", "2020-05-03")]
    events = tmp_path / "events.jsonl"
    events.write_bytes(b"\n".join(lines) + b"\n")
    first = _run(events, tmp_path / "data", code=1)  # it ran, and dead-lettered two lines: exit 1
    assert first == {"events_read": 6, "valid": 5, "accepted": 3, "duplicates": 1, "dead_lettered": 2,
                     "dead_lettered_by_reason": {"case_rule_violation": 1, "invalid_json": 1}, "held": 0,
                     "dbt": "skipped"}
    stored = _rows(tmp_path / "data")
    # the broker restarts on its log and the worker on its committed offsets and cases: the file's
    # events are now duplicates (the rejected ones are judged afresh and rejected again)
    assert _run(events, tmp_path / "data", code=1) == {**first, "duplicates": 4}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "events.jsonl"]  # nothing outside --data-dir
    assert _rows(tmp_path / "data") == stored
    assert len([r for r in stored if str(r[0]).startswith("urn:")]) == 3


@pytest.mark.integration
def test_run_where_every_line_is_dead_lettered_exits_1(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    events.write_bytes(b"{bad\n" + e.submitted("SIN-2020-000009", "2020-05-04T09:00:00Z", "2020-05-04") + b"\n")
    summary = _run(events, tmp_path / "data", code=1)
    assert (summary["accepted"], summary["dead_lettered"] + summary["held"]) == (0, 2)


@pytest.mark.integration
def test_worker_on_web_port_0_serves_on_a_free_port_it_names(kafka_broker, tmp_path: Path) -> None:
    import signal
    import time
    import urllib.request

    from infra.settings import load_settings
    from infra.topics import ensure_topics

    ensure_topics(kafka_broker.bootstrap_servers, load_settings())
    err = tmp_path / "worker.err"
    with err.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "infra.cli", "worker", "--bootstrap-servers",
                                 kafka_broker.bootstrap_servers, "--data-dir", str(tmp_path / "d"), "--web-port", "0"],
                                stdout=subprocess.DEVNULL, stderr=out)
        try:
            deadline = time.monotonic() + 120
            status = None
            while status is None and time.monotonic() < deadline:
                assert proc.poll() is None, err.read_text()[-2000:]
                said = [line for line in err.read_text().splitlines() if "web views on http://127.0.0.1:" in line]
                if said:
                    url = said[0].split("web views on ")[1].strip()
                    try:
                        with urllib.request.urlopen(url + "status", timeout=5) as resp:
                            status = json.loads(resp.read())
                    except OSError:
                        pass
                time.sleep(0.25)
            assert status is not None and "consumed" in status
        finally:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(120)
    assert code == 0 and "Traceback" not in err.read_text()


@pytest.mark.integration
def test_run_on_a_file_of_hostile_lines_dead_letters_them_and_the_worker_survives(tmp_path: Path) -> None:
    s = "SIN-2020-000001"
    hostile = [b"[" * 1000 + b"]" * 1000, b'{"a": "\xff\xfe"}', b'{"time": NaN}', b'{"n": 1e400}',
               b'{"n": ' + b"9" * 5000 + b"}", b'{"x": "' + b"a" * (2 << 20) + b'"}']
    events = tmp_path / "hostile.jsonl"
    events.write_bytes(b"\n".join([*hostile, e.notified(s)]) + b"\n")
    summary = _run(events, tmp_path / "data", code=1)
    assert summary["accepted"] == 1
    assert summary["dead_lettered"] == len(hostile)
    assert "processing_error" not in summary["dead_lettered_by_reason"]
