"""Chaos against ``safeguarding up``: a partner publishes a random history at about 100 events/s;
the worker is SIGKILLed at random moments; then the whole stack (``up``, the broker, the worker)
is SIGKILLed right after a produce returns, and ``up`` is started again on the same folder while
the partner goes on. Every acknowledged event must be in ``raw_events`` exactly once, and the
live figures must equal the reference calculator's.

``tests/infra/stack/test_chaos.py`` runs a short version; ``make chaos`` the long one:

    python -m tests.infra.stack.chaos --kills 10 --cases 4000 [--data-dir DIR] [--seed N]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

AS_OF = dt.date(2021, 3, 31)
START_TIMEOUT_S = 300


ANALYST_TOKEN = "chaos-analyst-token"  # the worker serves exact figures to this bearer only

class Up:
    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.err = (data_dir.parent / f"up-{time.monotonic_ns()}.err").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "infra.cli", "up", "--data-dir", str(data_dir), "--web-port", "0",
             "--briefing-port", "0", "--dbt-every", "0"], stdout=subprocess.DEVNULL, stderr=self.err,
            # the exact figures are the analyst's: a viewer's live view is suppressed (issue 13)
            env={**os.environ, "CSPR_ANALYST_TOKEN": ANALYST_TOKEN})
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"up exited {self.process.returncode}: {self.log()}")
            state = self.state()
            if state.get("state") == "ready" and state.get("pid") == self.process.pid:
                return
            time.sleep(0.25)
        raise AssertionError(f"up was not ready within {START_TIMEOUT_S} s: {self.log()}")

    def log(self) -> str:
        return Path(self.err.name).read_text(errors="replace")[-3000:]

    def state(self) -> dict[str, Any]:
        try:
            return json.loads((self.data_dir / "stack.json").read_text())
        except (OSError, ValueError):
            return {}

    def get(self, path: str) -> Any:
        request = urllib.request.Request(self.state()["worker_url"] + path,
                                         headers={"Authorization": f"Bearer {ANALYST_TOKEN}"})
        with urllib.request.urlopen(request, timeout=30) as resp:
            return json.loads(resp.read())

    def worker_ready(self) -> bool:
        try:
            status = self.get("/status?fast=1")
        except (OSError, ValueError, KeyError):
            return False
        return all(v is not None for v in status["lag"].values())

    def kill_all(self) -> None:
        """SIGKILL up, the broker and the worker at once: nothing gets to stop cleanly."""
        pids = [self.process.pid, *self.state().get("pids", {}).values()]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(30)
        self.err.close()

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(300)
        self.err.close()
        return code


class Partner:
    """Publishes with an idempotent producer, one acknowledgement at a time, keeping what was acked."""

    def __init__(self) -> None:
        self.acked: list[bytes] = []
        self.producer: Any = None
        self.bootstrap: str | None = None

    def connect(self, bootstrap: str) -> None:
        from kafka import KafkaProducer

        if self.producer is not None:
            self.producer.close(timeout=1)
        self.producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
                                      max_block_ms=10_000, request_timeout_ms=10_000, delivery_timeout_ms=20_000)
        self.bootstrap = bootstrap

    def send(self, raw: bytes, topic: str) -> bool:
        from kafka.errors import KafkaError

        from infra.stack.run import subject_of

        try:
            self.producer.send(topic, key=subject_of(raw), value=raw).get(timeout=30)
        except KafkaError:
            return False
        self.acked.append(raw)
        return True

    def close(self) -> None:
        if self.producer is not None:
            self.producer.close(timeout=1)


def run_chaos(data_dir: Path, kills: int, cases: int, seed: int, rate: float = 100.0,
              say: Any = print) -> dict[str, Any]:
    from infra.settings import load_settings
    from producers.reference.figures import compute_figures
    from producers.reference.history import replay
    from producers.simulator.random_scenario import RandomOptions, generate

    rng = random.Random(seed)
    topic = load_settings().topic_inbound
    lines = list(generate(RandomOptions(cases=cases, seed=seed, start_year=2020, years=1, duplicate_rate=0.02,
                                        out_of_order_rate=0.05, invalid_rate=0.01)))
    stack_kill_at = int(len(lines) * 0.8)
    kill_at = sorted(rng.sample(range(len(lines) // 20, stack_kill_at), kills))
    up = Up(data_dir)
    partner = Partner()
    partner.connect(up.state()["broker"])
    killed_pids: list[int] = []
    started = time.monotonic()
    i = 0
    restarts_seen = 0
    while i < len(lines):
        time.sleep(max(0.0, started + i / rate - time.monotonic()))  # about `rate` events a second
        if kill_at and i >= kill_at[0]:
            pid = up.state()["pids"]["worker"]
            if pid not in killed_pids and up.worker_ready():  # the restarted worker is up: kill it
                os.kill(pid, signal.SIGKILL)
                killed_pids.append(pid)
                kill_at.pop(0)
                say(f"event {i}: SIGKILL worker pid {pid} ({len(killed_pids)}/{kills})")
        if i == stack_kill_at:
            if not partner.send(lines[i], topic):
                continue
            up.kill_all()  # right after the produce returned
            restarts_seen += len(up.state().get("restarts", []))
            say(f"event {i}: SIGKILL of the whole stack (up pid {up.process.pid}) right after an ack")
            up = Up(data_dir)
            partner.connect(up.state()["broker"])
            i += 1
            continue
        if partner.send(lines[i], topic):
            i += 1
        else:
            time.sleep(0.2)  # not acknowledged: the partner sends it again
    partner.close()
    deadline = time.monotonic() + 600
    while kill_at:  # kills the publishing outran (a restart takes a while): now, each once the worker is back
        assert time.monotonic() < deadline and up.process.poll() is None, up.log()
        pid = up.state()["pids"]["worker"]
        if pid not in killed_pids and up.worker_ready():
            os.kill(pid, signal.SIGKILL)
            killed_pids.append(pid)
            kill_at.pop(0)
            say(f"after the last event: SIGKILL worker pid {pid} ({len(killed_pids)}/{kills})")
        time.sleep(0.5)
    status: Any = None
    while True:  # caught up: the worker has committed everything (its lag from the broker is 0)
        try:
            status = up.get("/status")
        except (OSError, ValueError):  # a worker killed late is still being restarted
            status = None
        if status and status["idle"] and status["lag"] and all(v == 0 for v in status["lag"].values()):
            break
        assert up.process.poll() is None, up.log()
        assert time.monotonic() < deadline, f"the stream did not catch up: {status}"
        time.sleep(1)
    restarts_seen += len(up.state().get("restarts", []))
    figures = {
        "period_change": up.get("/figures/period-change?from=2020-04-01&to=2020-09-30"),
        "timeliness": up.get(f"/figures/timeliness?year=2020&as_of={AS_OF}")["timeliness"],
        "bands": up.get("/figures/local-authorities?year=2020")["bands"],
    }
    code = up.stop()
    assert code == 0, up.log()
    store = _read_store(data_dir)
    oracle = replay(partner.acked)
    want = compute_figures(partner.acked, 2020, AS_OF)
    rows = Counter(map(tuple, store))
    result = {
        "events_acknowledged": len(partner.acked), "accepted_by_the_reference": len(oracle.accepted),
        "raw_events_rows": sum(rows.values()), "worker_kills": len(killed_pids), "restarts_recorded": restarts_seen,
        "seconds": round(time.monotonic() - started, 1),
    }
    assert len(killed_pids) == kills, f"{len(killed_pids)} of {kills} worker kills"
    assert max(rows.values(), default=1) == 1, "an event is in raw_events more than once"
    assert set(rows) == {(a.event.source, a.event.id.lower(), a.case_seq) for a in oracle.accepted}, (
        "raw_events differs from the acknowledged events' reference replay")
    assert figures["period_change"]["current"] == want["period_change"]["current"]
    assert figures["period_change"]["previous"] == want["period_change"]["previous"]
    assert figures["timeliness"] == want["rapid_review_timeliness"]
    assert figures["bands"] == want["notifications_per_local_authority"]
    return result


def _read_store(data_dir: Path) -> list[list[Any]]:
    code = ("import json, sys\nfrom infra.settings import load_settings\nfrom infra.warehouse import get_client\n"
            "c = get_client(load_settings(), data_dir=sys.argv[1])\n"
            "print(json.dumps([list(r) for r in c.query('SELECT source, event_id, case_seq "
            "FROM cspr.raw_events FINAL').result_rows]))")
    proc = subprocess.run([sys.executable, "-c", code, str(data_dir)], capture_output=True, text=True, timeout=300,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.infra.stack.chaos", description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=10, help="worker SIGKILLs (default 10)")
    parser.add_argument("--cases", type=int, default=4000, help="cases in the random history (default 4000, "
                        "about 13,000 events: 130 s at 100 events/s)")
    parser.add_argument("--seed", type=int, default=None, help="seed (default: random, printed)")
    parser.add_argument("--data-dir", type=Path, default=None, help="folder (default: a temporary one)")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    print(f"chaos: seed {seed}, {args.kills} worker kills, {args.cases} cases", flush=True)
    with tempfile.TemporaryDirectory(prefix="cspr-chaos-") as tmp:
        data_dir = args.data_dir or Path(tmp) / "data"
        result = run_chaos(data_dir, args.kills, args.cases, seed, say=lambda m: print(m, flush=True))
    print(json.dumps(result, sort_keys=True))
    print("chaos: every acknowledged event is in raw_events exactly once; the figures equal the reference's")
    return 0


if __name__ == "__main__":
    sys.exit(main())
