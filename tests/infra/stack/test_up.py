"""``safeguarding up`` as an operator runs it: a subprocess on a data folder, stopped with Ctrl-C
(SIGINT) or SIGTERM, started again on the same folder.

One random history is split in two, right before a notification that arrives after an event of
its case, so that event is *held* when the stack stops. The tests run in order and share the
folder:

1. ``up --events part1``: figures served, the scheduled dbt build writes the latest briefing and
   the briefing server serves it; SIGINT exits 0 and every child is gone;
2. ``up`` again with nothing new: the broker restarts on its own log and the worker from its
   committed offsets and changelog — live figures, case totals and the stored rows (raw events,
   dead letters) are identical; SIGTERM;
3. ``up --events part2``: the held event is released by its late notification and every event
   counts exactly once: the stored accepted events equal the reference replay of part1 + part2.

Then, on folders of their own: a worker SIGKILLed is restarted by ``up`` (the broker untouched);
``up`` SIGKILLed takes its children with it, and the next ``up`` stops a survivor it recorded.

The warehouse is read from a subprocess after each stop (chDB: one process per data folder).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from producers.reference.history import replay
from producers.simulator.random_scenario import RandomOptions, generate
from schemas import EventValidationError, parse_event
from tests.fixtures.warehouse import rows_in_a_new_process

pytestmark = [pytest.mark.integration, pytest.mark.slow]

HOLD = dt.timedelta(days=7)
START_TIMEOUT_S = 240


def _parsed(line: bytes) -> Any:
    try:
        return parse_event(line)
    except EventValidationError:
        return None


def _split(lines: list[bytes]) -> int:
    """An index i such that lines[:i] ends with an event held for the notification lines[i]: its
    time is within 7 days of the notification's (so the notification releases it)."""
    events = [_parsed(line) for line in lines]
    for i in range(len(lines) // 2, len(lines)):
        note = events[i]
        if note is None or note.short_type != "incident.notified":
            continue
        if any(e is not None and e.short_type == "incident.notified" and e.subject == note.subject
               for e in events[:i]):
            continue
        held = [e for e in events[:i] if e is not None and e.subject == note.subject]
        if held and all(note.time - e.time <= HOLD for e in held):
            return i
    raise AssertionError("the history has no notification arriving after its case's first event")


ANALYST_TOKEN = "analyst-token-for-tests"


class Up:
    """One ``safeguarding up`` subprocess and what it wrote to DIR/stack.json."""

    def __init__(self, data_dir: Path, *args: str, env: dict[str, str] | None = None):
        self.data_dir = data_dir
        self.stderr = (data_dir.parent / f"up-{time.monotonic_ns()}.err")
        self._err = self.stderr.open("wb")
        cmd = [sys.executable, "-m", "infra.cli", "up", "--data-dir", str(data_dir), "--web-port", "0",
               "--briefing-port", "0", *args]
        self.process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self._err,
                                        env={**os.environ, "CSPR_ANALYST_TOKEN": ANALYST_TOKEN, **(env or {})})
        self.state = self._wait_ready()

    def _wait_ready(self) -> dict[str, Any]:
        deadline = time.monotonic() + START_TIMEOUT_S
        path = self.data_dir / "stack.json"
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"up exited {self.process.returncode}:\n{self.log()}"
            try:
                state = json.loads(path.read_text())
            except (OSError, ValueError):
                state = {}
            if state.get("state") == "ready" and state.get("pid") == self.process.pid:
                return state
            time.sleep(0.25)
        self.process.kill()
        raise AssertionError(f"up was not ready within {START_TIMEOUT_S} s:\n{self.log()}")

    def log(self) -> str:
        return self.stderr.read_text(errors="replace")[-3000:]

    def get(self, path: str) -> Any:
        # as an analyst: the exact figures, compared with the oracle
        request = urllib.request.Request(self.state["worker_url"] + path,
                                         headers={"Authorization": f"Bearer {ANALYST_TOKEN}"})
        with urllib.request.urlopen(request, timeout=30) as resp:
            return json.loads(resp.read())

    def figures(self) -> dict[str, Any]:
        return {
            "period_change": self.get("/figures/period-change?from=2020-04-01&to=2020-09-30"),
            "timeliness": self.get("/figures/timeliness?year=2020&as_of=2021-03-31")["timeliness"],
            "bands": self.get("/figures/local-authorities?year=2020")["bands"],
            "notifications": self.get("/figures/notifications"),
        }

    def stop(self, signum: int) -> None:
        self.process.send_signal(signum)
        try:
            code = self.process.wait(180)
        finally:
            self._err.close()
        assert code == 0, self.log()
        for name, pid in self.state["pids"].items():
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)  # the child is gone (and reaped: `up` waited for it)
                pytest.fail(f"the {name} (pid {pid}) is still running after up exited")
        assert json.loads((self.data_dir / "stack.json").read_text())["state"] == "stopped"


def read_store(data_dir: Path) -> dict[str, Any]:
    return rows_in_a_new_process(data_dir, events="SELECT source, event_id, case_seq FROM cspr.raw_events FINAL",
                                 dead_letters="SELECT reason, toString(raw_sha256) FROM cspr.dead_letters FINAL")


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    lines = list(generate(RandomOptions(cases=150, seed=7, start_year=2020, years=1, out_of_order_rate=0.1,
                                        duplicate_rate=0.03, invalid_rate=0.02)))
    cut = _split(lines)
    root = tmp_path_factory.mktemp("up")
    part1, part2 = root / "part1.jsonl", root / "part2.jsonl"
    part1.write_bytes(b"\n".join(lines[:cut]) + b"\n")
    part2.write_bytes(b"\n".join(lines[cut:]) + b"\n")
    return {"lines": lines, "cut": cut, "part1": part1, "part2": part2, "data_dir": root / "data", "seen": {}}


def test_up_serves_live_figures_and_the_scheduled_briefing_and_stops_on_sigint(history: dict[str, Any]) -> None:
    up = Up(history["data_dir"], "--events", str(history["part1"]), "--dbt-every", "1")
    try:
        status = up.get("/status")
        assert status["consumed"] == history["cut"] and status["idle"]
        assert status["case_table"]["held"] >= 1  # the event whose notification is in part 2
        deadline = time.monotonic() + 180
        while up.get("/schedule")["builds"] < 1:
            assert up.get("/schedule")["failures"] == 0, up.get("/schedule")["last_error"]
            assert time.monotonic() < deadline, "no scheduled build within 180 s"
            time.sleep(0.5)
        with urllib.request.urlopen(up.state["briefing_url"], timeout=30) as resp:
            page = resp.read().decode()
        quarter = up.get("/schedule")["quarter"]  # of the latest event time in the store
        assert quarter is not None and quarter.startswith("2020Q")
        assert f"Quarterly learning briefing: 2020 Q{quarter[-1]}" in page
        with urllib.request.urlopen(up.state["gateway_url"] + "/healthz", timeout=10) as resp:
            assert json.loads(resp.read()) == {"status": "ok"}  # the partners' HTTP way in is up too
        history["seen"] = {"figures": up.figures(), "cases": status["case_table"]}
    finally:
        up.stop(signal.SIGINT)
    history["seen"]["store"] = read_store(history["data_dir"])
    assert len(history["seen"]["store"]["events"]) + len(history["seen"]["store"]["dead_letters"]) > 0
    history["seen"]["meta"] = (history["data_dir"] / "kafka" / "data" / "meta.properties").read_text()


def test_a_restart_resumes_on_the_brokers_log_and_counts_nothing_twice(history: dict[str, Any]) -> None:
    seen = history["seen"]
    assert seen, "needs the first test's stack"
    up = Up(history["data_dir"], "--dbt-every", "0")
    try:
        # the broker's log was not formatted again, and the worker re-read nothing it had committed
        assert (history["data_dir"] / "kafka" / "data" / "meta.properties").read_text() == seen["meta"]
        assert up.get("/status")["consumed"] == 0
        assert up.figures() == seen["figures"]
        assert up.get("/status")["case_table"] == seen["cases"]
    finally:
        up.stop(signal.SIGTERM)
    store = read_store(history["data_dir"])
    for table in ("events", "dead_letters"):
        assert sorted(map(tuple, store[table])) == sorted(map(tuple, seen["store"][table])), table


def test_events_after_a_restart_count_once_and_release_the_held_event(history: dict[str, Any]) -> None:
    assert history["seen"], "needs the first test's stack"
    up = Up(history["data_dir"], "--events", str(history["part2"]), "--dbt-every", "0")
    try:
        status = up.get("/status")
        assert status["consumed"] == len(history["lines"]) - history["cut"]  # only the new file: nothing re-read
        figures = up.figures()
    finally:
        up.stop(signal.SIGINT)
    want = replay(history["lines"])
    store = read_store(history["data_dir"])
    assert sorted(map(tuple, store["events"])) == sorted(
        (a.event.source, a.event.id.lower(), a.case_seq) for a in want.accepted)
    first_bands = history["seen"]["figures"]["notifications"]
    assert figures["notifications"] != first_bands  # part 2 added notifications


def test_up_refuses_a_missing_events_file_before_starting_anything(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "infra.cli", "up", "--data-dir", str(tmp_path / "d"),
                           "--events", str(tmp_path / "missing.jsonl")], capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 2
    assert proc.stderr.endswith("missing.jsonl: No such file or directory\n")
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize("args, says", [(["--dbt-every", "-1"], "--dbt-every"), (["--web-port", "70000"], "--web-port")])
def test_up_refuses_bad_options(tmp_path: Path, args: list[str], says: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "infra.cli", "up", "--data-dir", str(tmp_path), *args],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2 and says in proc.stderr and "Traceback" not in proc.stderr


def _gone(pid: int, within_s: float = 60.0) -> bool:
    from infra.stack.up import _alive

    deadline = time.monotonic() + within_s
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    return not _alive(pid)


def test_a_worker_that_dies_is_restarted_and_the_broker_keeps_running(history: dict[str, Any],
                                                                      tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    up = Up(data_dir, "--events", str(history["part1"]), "--dbt-every", "0")
    try:
        figures = up.figures()
        broker, worker = up.state["pids"]["broker"], up.state["pids"]["worker"]
        os.kill(worker, signal.SIGKILL)
        deadline = time.monotonic() + 120
        state: dict[str, Any] = {}
        while time.monotonic() < deadline:
            state = json.loads((data_dir / "stack.json").read_text())
            if state["pids"]["worker"] != worker:
                break
            time.sleep(0.25)
        assert state["pids"]["worker"] != worker and state["pids"]["broker"] == broker
        assert state["restarts"][0]["what"] == "worker" and state["restarts"][0]["exit"] == -signal.SIGKILL
        assert "restarting it" in up.log()
        up.state = state
        deadline = time.monotonic() + 120
        while True:  # the new worker serves the same URL, with the same figures
            try:
                if up.figures() == figures:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the restarted worker did not serve the same figures"
            time.sleep(0.5)
        assert up.process.poll() is None
    finally:
        up.stop(signal.SIGINT)


def test_up_killed_takes_its_children_and_the_next_up_stops_a_recorded_survivor(history: dict[str, Any],
                                                                               tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    up = Up(data_dir, "--events", str(history["part1"]), "--dbt-every", "0")
    figures = up.figures()
    up.process.kill()
    up.process.wait(30)
    up._err.close()
    for name, pid in up.state["pids"].items():
        assert _gone(pid), f"the {name} (pid {pid}) outlived up"
    # orphaned, the worker left at once rather than stopping cleanly against a broker killed with it
    assert "is gone; stopping at once" in (data_dir / "logs" / "worker.log").read_text("utf-8", "replace")
    # a survivor, as if its parent's death signal had been lost: a process whose command line is
    # a worker's on this folder, recorded in stack.json by the stack that was killed
    survivor = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", "worker", str(data_dir)])
    try:
        state = json.loads((data_dir / "stack.json").read_text())
        state["pids"]["worker"] = survivor.pid
        (data_dir / "stack.json").write_text(json.dumps(state))
        again = Up(data_dir, "--dbt-every", "0")
        try:
            assert survivor.poll() is not None, "the recorded survivor was not stopped"
            assert again.state["stopped_survivors"] == [f"worker (pid {survivor.pid})"]
            assert again.figures() == figures
        finally:
            again.stop(signal.SIGINT)
    finally:
        survivor.kill()
        survivor.wait()


def test_a_second_stack_on_the_same_folder_is_refused_naming_the_first(history: dict[str, Any],
                                                                       tmp_path: Path) -> None:
    first = Up(tmp_path / "data", "--dbt-every", "0")
    try:
        proc = subprocess.run([sys.executable, "-m", "infra.cli", "up", "--data-dir", str(tmp_path / "data"),
                               "--web-port", "0", "--briefing-port", "0"], capture_output=True, text=True,
                              timeout=60, check=False)
        assert proc.returncode == 2
        assert f"already running on {tmp_path / 'data'} (pid {first.process.pid}" in proc.stderr
        # the first one is untouched: still running, and it settles to idle (its consumers may
        # still be joining the group just after "ready", when /status says not idle yet)
        deadline = time.monotonic() + 60
        while not first.get("/status")["idle"] and time.monotonic() < deadline:
            assert first.process.poll() is None, f"the first stack died:\n{first.log()}"
            time.sleep(0.5)
        assert first.get("/status")["idle"]
    finally:
        first.stop(signal.SIGINT)
