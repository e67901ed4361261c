"""``safeguarding up --data-dir DIR``: the live embedded stack, supervised, until Ctrl-C.

Start order, each step logged:

1. a previous stack on the folder: if its ``up`` still runs, refuse and name it; if it was killed
   and left children (the pids ``DIR/stack.json`` recorded, checked against their command lines),
   stop them first;
2. the embedded broker (Apache Kafka, KRaft, one node, a child process) on its own log under
   ``DIR/kafka`` — formatted at the first start, restarted on what it holds ever after — and the
   project's topics;
3. the worker (``safeguarding worker --schedule-dbt SECONDS``, a child process that owns the chDB
   folder): it resumes from the offsets it committed, recovers its cases from their changelog and
   takes whatever the broker received since; dbt and the latest briefing run on a schedule *inside
   the worker*, and so are the partners' own views, which the gateway asks of it with each partner's
   token (chDB allows one process per data folder; the job is ``infra.stack.schedule``'s, run by
   ``streams.schedule``; the views are ``streams.partner_views``);
4. waits until the worker has committed everything in the inbound topic (its consumer group's
   committed offsets, read from the broker, reach the topic's end);
5. ``--events FILE``: publishes the file through the producer SDK (invalid lines raw, so they are
   dead-lettered with their reason) and waits the same way;
6. serves ``DIR/briefings/`` on a small static HTTP server and the partners' HTTP gateway
   (``infra.stack.gateway``) in this process, prints the URLs and writes them to ``DIR/stack.json``
   (with the children's process ids, restarts and the state).

Supervision: a worker that dies is restarted (after 1, 2, 4, ... 30 s; each restart printed and
recorded in ``stack.json``), and so is a broker that dies (on the same ports and log). Giving up
after ``MAX_FAILED_STARTS`` starts in a row that never became ready stops the stack with exit 3.
The broker is never stopped because the worker died: it keeps every acknowledged message, and
the restarted worker takes them.

No orphans: every child is started with ``die_with_parent`` (``PR_SET_PDEATHSIG``): whatever
kills ``up``, SIGKILL included, its children get SIGTERM. Ctrl-C (SIGINT) or SIGTERM: waits up to
``--drain`` seconds for the stream to commit what is in the broker (nothing is lost if it does
not: the broker keeps it for the next start), stops the briefing server, the worker (SIGTERM: a
clean Faust shutdown) and the broker, prints what stopped, and exits 0.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import http.server
import json
import logging
import os
import signal
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from rich.console import Console

from infra.settings import Settings
from infra.stack.gateway import TOKENS, start_gateway, token_file
from schemas.errors import CsprError, ServiceUnavailable

MAX_FAILED_STARTS = 5      # starts in a row that never became ready before `up` gives up
BACKOFF_FIRST_S, BACKOFF_MAX_S = 1.0, 30.0

log = logging.getLogger(__name__)
console = Console(stderr=True)


class StackFailed(CsprError):
    """A part of the live stack failed; the message names it and its log."""


class _Stop(BaseException):
    """Ctrl-C or SIGTERM: stop the stack cleanly (not an error)."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _on_signal(signum: int, frame: Any) -> None:
    raise _Stop(signum)


def _free_port() -> int:
    from infra.brokers import free_port

    return free_port()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("briefing server: " + format, *args)


def serve_briefings(folder: Path, port: int) -> http.server.ThreadingHTTPServer:
    """A static HTTP server on 127.0.0.1 for ``folder``, in a daemon thread; ``shutdown()`` stops it."""
    folder.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(_QuietHandler, directory=str(folder))
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as exc:
        raise ServiceUnavailable(f"cannot serve the briefings on 127.0.0.1:{port}: {exc.strerror or exc}") from None
    threading.Thread(target=server.serve_forever, name="briefings-http", daemon=True).start()
    return server


def _write_state(path: Path, doc: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    tmp.replace(path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (dead, not yet reaped by its parent) is not alive
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _is_ours(name: str, pid: int, data_dir: Path) -> bool:
    """Whether pid is still that part of a stack on data_dir (not a process that reused the pid)."""
    cmd = _cmdline(pid)
    if name == "up":
        return " up " in f"{cmd} " or not cmd  # its --data-dir may be relative: the pid was recorded for it
    if name == "broker":
        return "kafka.Kafka" in cmd and str(data_dir / "kafka") in cmd
    return " worker " in cmd and str(data_dir) in cmd


def _terminate(pids: dict[str, int], timeout_s: float = 60.0) -> None:
    for pid in pids.values():
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and any(_alive(p) for p in pids.values()):
        time.sleep(0.2)
    for name, pid in pids.items():
        if _alive(pid):
            log.warning("the previous stack's %s (pid %d) did not stop on SIGTERM: killing it", name, pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def clear_previous(state_path: Path, data_dir: Path) -> list[str]:
    """One stack per folder (chDB allows one process per data folder, Kafka one broker per log).

    If the previous stack's ``up`` still runs, refuse and name it. If it was killed and left
    children behind (the pids it recorded, checked against their command lines, so a reused pid
    is never touched), stop them. Returns what was stopped.
    """
    try:
        previous = json.loads(state_path.read_text())
        pid = int(previous["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return []
    if previous.get("state") == "stopped" or pid == os.getpid():
        return []
    if _alive(pid) and _is_ours("up", pid, data_dir):
        raise StackFailed(f"a stack is already running on {data_dir} (pid {pid}, see {state_path}); "
                          "stop it first (Ctrl-C, or kill -TERM it)")
    pids = previous.get("pids") or {}
    survivors = {name: int(p) for name, p in pids.items()
                 if isinstance(p, int) and _alive(p) and _is_ours(name, p, data_dir)}
    if survivors:
        named = ", ".join(f"{name} (pid {p})" for name, p in survivors.items())
        console.print(f"[yellow]the previous stack on {data_dir} (pid {pid}) is gone but left {named}: "
                      "stopping them[/yellow]")
        _terminate(survivors)
    return [f"{name} (pid {p})" for name, p in survivors.items()]


def inbound_lag(bootstrap: str, conf: Settings) -> int | None:
    """Inbound messages the worker has not committed yet (its consumer group's committed offsets
    against the topic's end, both read from the broker: true across worker restarts); None when
    the broker does not answer."""
    from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
    from kafka.errors import KafkaError

    from streams.cases.agents import GROUP

    try:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="cspr-up", request_timeout_ms=10_000)
        consumer = KafkaConsumer(bootstrap_servers=bootstrap, client_id="cspr-up", request_timeout_ms=10_000)
    except KafkaError:
        return None
    try:
        partitions = consumer.partitions_for_topic(conf.topic_inbound) or set()
        tps = [TopicPartition(conf.topic_inbound, p) for p in partitions]
        ends = consumer.end_offsets(tps)
        committed = admin.list_group_offsets({GROUP: tps}).get(GROUP, {})
        return sum(max(end - (committed[tp].offset if tp in committed and committed[tp].offset >= 0 else 0), 0)
                   for tp, end in ends.items())
    except KafkaError:
        return None
    finally:
        consumer.close()
        admin.close()


class Supervisor:
    """The stack's children: the broker and the worker, each restarted when it dies."""

    def __init__(self, data_dir: Path, conf: Settings, state: dict[str, Any], state_path: Path,
                 web_port: int, dbt_every_s: float) -> None:
        self.data_dir, self.conf, self.state, self.state_path = data_dir, conf, state, state_path
        self.logs = data_dir / "logs"
        self.web_port, self.dbt_every_s = web_port, dbt_every_s
        self.broker: Any = None
        self.worker: Any = None
        self.failed_starts = {"broker": 0, "worker": 0}
        self.ready = {"broker": False, "worker": False}
        self.restart_at: dict[str, float] = {}
        state.setdefault("restarts", [])
        state.setdefault("pids", {})

    # --- the children ---------------------------------------------------------------------
    def start_broker(self) -> None:
        from infra.brokers import BrokerError, EmbeddedBroker

        if self.broker is None:
            self.broker = EmbeddedBroker(self.data_dir)
        try:
            self.broker.start()
        except BrokerError as exc:
            raise ServiceUnavailable(f"the embedded broker did not start: {exc}") from None
        self.ready["broker"] = True
        self.state.update(broker=self.broker.bootstrap_servers)
        self.state["pids"]["broker"] = self.broker.process.pid
        self._save()

    def start_worker(self) -> None:
        from infra.stack.run import WorkerProcess

        self.worker = WorkerProcess(self.broker.bootstrap_servers, self.data_dir, self.logs / "worker.log",
                                    web_port=self.web_port or None,
                                    schedule_dbt_s=self.dbt_every_s if self.dbt_every_s > 0 else None,
                                    partner_tokens=token_file(self.data_dir))
        self.web_port = self.worker.port  # a restarted worker serves on the same port
        self.ready["worker"] = False
        self.state["pids"]["worker"] = self.worker.process.pid
        self.state["worker_url"] = f"http://127.0.0.1:{self.worker.port}"
        self._save()

    def _save(self) -> None:
        _write_state(self.state_path, self.state)

    # --- supervision ----------------------------------------------------------------------
    def check(self) -> None:
        """Restart what died (after its backoff); note a restarted worker that became ready.
        Raises ``StackFailed`` after ``MAX_FAILED_STARTS`` starts in a row that never became ready."""
        now = time.monotonic()
        if self.broker is not None and not self.broker.running and "broker" not in self.restart_at:
            self._died("broker", self.broker.process.returncode if self.broker.process else None,
                       self.broker.log_path, now)
        if self.worker is not None and self.worker.process.poll() is not None and "worker" not in self.restart_at:
            self._died("worker", self.worker.process.returncode, self.worker.log_path, now)
        for what in ("broker", "worker"):
            at = self.restart_at.get(what)
            if at is not None and now >= at and (what == "broker" or "broker" not in self.restart_at):
                del self.restart_at[what]
                if what == "broker":
                    self.broker.stop()  # reap it and close its log; the same ports and log again
                    self.start_broker()
                else:
                    self.worker.kill()
                    self.start_worker()
                console.print(f"{what} restarted (pid {self.state['pids'][what]})")
        if self.worker is not None and not self.ready["worker"] and "worker" not in self.restart_at:
            status = self.worker.status()
            if status and all(v is not None for v in status["lag"].values()):
                self.ready["worker"] = True
                self.failed_starts["worker"] = 0
        if self.ready["broker"] and self.broker is not None and self.broker.running:
            self.failed_starts["broker"] = 0

    def _died(self, what: str, code: int | None, log_path: Path, now: float) -> None:
        from infra.stack.run import tail

        self.failed_starts[what] += 1
        self.ready[what] = False
        failed = self.failed_starts[what]
        if failed > MAX_FAILED_STARTS:
            raise StackFailed(f"the {what} died {failed} times in a row without becoming ready; giving up. "
                              f"Its log: {log_path}\n" + tail(log_path, 10))
        wait = min(BACKOFF_FIRST_S * 2 ** (failed - 1), BACKOFF_MAX_S)
        self.restart_at[what] = now + wait
        record = {"what": what, "pid": self.state["pids"].get(what), "exit": code,
                  "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "restart_in_s": wait}
        self.state["restarts"].append(record)
        self.state[f"{what}_restarts"] = sum(r["what"] == what for r in self.state["restarts"])
        self._save()
        console.print(f"[yellow]the {what} (pid {record['pid']}) exited with status {code}; restarting it in "
                      f"{wait:g} s (restart {self.state[f'{what}_restarts']}); its log: {log_path}[/yellow]")
        log.warning("%s exited with status %s; restarting in %g s", what, code, wait)

    def wait_caught_up(self, timeout_s: float, what: str) -> None:
        """Until the worker has committed every inbound message (restarting what dies meanwhile)."""
        deadline = time.monotonic() + timeout_s
        zero = 0
        while time.monotonic() < deadline:
            self.check()
            lag = inbound_lag(self.broker.bootstrap_servers, self.conf) if self.broker.running else None
            status = self.worker.status() if lag == 0 and self.ready["worker"] else None
            zero = zero + 1 if status and status["idle"] else 0
            if zero >= 2:
                return
            time.sleep(0.5)
        raise StackFailed(f"the worker did not take {what} within {timeout_s:g} s; its log: {self.worker.log_path}")

    def wait_worker_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while not self.ready["worker"]:
            if time.monotonic() > deadline:
                raise ServiceUnavailable(f"the worker did not join the broker within {timeout_s:g} s; "
                                         f"log: {self.worker.log_path}")
            self.check()
            time.sleep(0.25)


def run_up(data_dir: Path, conf: Settings, *, events: Path | None = None, web_port: int = 0,
           briefing_port: int = 0, dbt_every_s: float = 20.0, drain_s: float = 10.0,
           timeout_s: float = 900.0) -> int:
    from infra.stack.run import Summary, publish, read_lines
    from infra.topics import ensure_topics

    data_dir = data_dir.resolve()
    logs = data_dir / "logs"
    state_path = data_dir / "stack.json"
    lines = read_lines(events) if events is not None else []  # a bad file fails before anything starts
    data_dir.mkdir(parents=True, exist_ok=True)
    cleared = clear_previous(state_path, data_dir)
    logs.mkdir(parents=True, exist_ok=True)
    briefings = data_dir / "briefings"
    state: dict[str, Any] = {"state": "starting", "data_dir": str(data_dir), "pid": os.getpid()}
    if cleared:
        state["stopped_survivors"] = cleared
    _write_state(state_path, state)
    saved = {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    stopped: list[str] = []
    sup = Supervisor(data_dir, conf, state, state_path, web_port, dbt_every_s)
    try:
        with ExitStack() as stack:
            try:
                # 1. broker (on its own log) and topics
                console.print(f"[bold]up[/bold] {data_dir}")
                with console.status("starting the embedded broker (Apache Kafka)"):
                    sup.start_broker()
                bootstrap = sup.broker.bootstrap_servers

                def stop_broker() -> None:
                    sup.broker.stop()
                    stopped.append(f"broker (Apache Kafka at {sup.broker.bootstrap_servers})")

                stack.callback(stop_broker)
                console.print(f"broker: Apache Kafka at {bootstrap} (log {sup.broker.data_dir})")
                ensure_topics(bootstrap, conf)

                # 2. worker: it resumes from its committed offsets and takes what the broker holds
                sup.start_worker()
                stack.callback(lambda: sup.worker.kill())
                with console.status("worker joining the broker"):
                    sup.wait_worker_ready(120)
                with console.status("worker taking what the broker holds"):
                    sup.wait_caught_up(timeout_s, "what the broker holds")
                status = sup.worker.get("/status")  # with the totals over every case
                console.print(f"worker: caught up; {status['case_table']['accepted']:,} accepted events in "
                              f"{status['case_table']['cases']:,} cases, {status['case_table']['held']:,} held")

                # 3. the file, if any
                if events is not None:
                    summary = Summary(read=len(lines))
                    with console.status(f"publishing {events} ({len(lines):,} events)"):
                        sent = publish(lines, bootstrap, conf, summary)
                    with console.status("streaming it"):
                        sup.wait_caught_up(timeout_s, str(events))
                    status = sup.worker.get("/status")
                    console.print(f"published {sent:,} messages from {events}; "
                                  f"{status['accepted']:,} accepted since the worker started")
                    state["published"] = sent

                # 4. serve
                server = serve_briefings(briefings, briefing_port)

                def stop_server() -> None:
                    server.shutdown()
                    server.server_close()
                    stopped.append(f"briefing server (port {server.server_address[1]})")

                stack.callback(stop_server)
                gateway = start_gateway(conf, bootstrap, data_dir, state["worker_url"])

                def stop_gateway() -> None:
                    gateway.stop()
                    stopped.append(f"gateway ({gateway.url})")

                stack.callback(stop_gateway)
                state["gateway_url"] = gateway.url
                state.update(state="ready", bootstrap=bootstrap, live_url=f"{state['worker_url']}/live", briefing_url=f"http://127.0.0.1:{server.server_address[1]}/latest.html")
                _write_state(state_path, state)
                url = state["worker_url"]
                console.print("[bold green]the stack is up[/bold green] — Ctrl-C stops it")
                for name, where in (
                        ("live page", f"{url}/live (every view: {url}/)"),
                        ("live figures", f"{url}/figures/notifications"), ("", f"{url}/figures/timeliness"),
                        ("", f"{url}/figures/local-authorities"), ("", f"{url}/overdue"),
                        ("status", f"{url}/status"),
                        ("dbt schedule", f"{url}/schedule " + (
                            f"(at start, after new events, at least every {dbt_every_s:g} s while they arrive)"
                            if dbt_every_s > 0 else "(off)")),
                        ("briefing", f"{state['briefing_url']} (after the first build, at start)"),
                        ("broker", f"{bootstrap} (publish to {conf.topic_inbound})"),
                        ("gateway", f"{gateway.url}/events (tokens: safeguarding gateway token add CODE "
                                    f"--credentials {data_dir / TOKENS})"),
                        ("partner view", f"{gateway.url}/partner (JSON: {gateway.url}/partner/events)")):
                    console.print(f"  {name:<13} {where}", soft_wrap=True)
                while True:
                    time.sleep(0.5)
                    sup.check()
            except _Stop as stop:
                for s in saved:  # a second Ctrl-C while stopping changes nothing
                    signal.signal(s, lambda signum, frame: console.print("already stopping ..."))
                console.print(f"{stop.args[0]}: stopping the stack")
                state["state"] = "stopping"
                _write_state(state_path, state)
                _drain_and_stop(sup.worker, drain_s, stopped)
            except BaseException:
                if sup.worker is not None:
                    _stop_worker(sup.worker, stopped)
                raise
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)
        state["state"] = "stopped"
        _write_state(state_path, state)
        for what in stopped:
            console.print(f"stopped: {what}")
    return 0


def _drain_and_stop(worker: Any, drain_s: float, stopped: list[str]) -> None:
    """Give the worker a moment to commit what is in the broker, then stop it (what it has not
    taken stays in the broker's log for the next start)."""
    if worker is None:
        return
    deadline = time.monotonic() + drain_s
    while time.monotonic() < deadline and worker.process.poll() is None:
        status = worker.status()
        if status and status.get("idle"):
            break
        time.sleep(0.25)
    else:
        if worker.process.poll() is None:
            console.print(f"the stream was not idle after {drain_s:g} s: the broker keeps the rest for the next start")
    _stop_worker(worker, stopped)


def _stop_worker(worker: Any, stopped: list[str]) -> None:
    if worker.stopped:
        return
    code = worker.stop(timeout_s=180)
    stopped.append(f"worker (pid {worker.process.pid}, exit {code})")
