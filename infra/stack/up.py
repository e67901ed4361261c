"""``safeguarding up --data-dir DIR``: the live embedded stack, until Ctrl-C.

Start order, each step logged:

1. the embedded broker (tansu, a child process, memory only) and the project's topics;
2. the replay (``python -m streams.replay``, a child process that opens the warehouse, reads it and
   exits): the inbound archive ``DIR/warehouse`` holds is re-published into the fresh broker,
   message by message to the same partition and offset (see ``streams.archive``), so the worker
   rebuilds exactly the cases, held events and live figures it had when the stack last stopped;
3. the worker (``safeguarding worker --archive-inbound --schedule-dbt SECONDS``, a child process
   that owns the chDB folder from here on): validation, cases, live figures, the sink, the inbound
   archive, and dbt plus the latest briefing on a schedule *inside the worker* — chDB allows one
   process per data folder, and the worker holds it for as long as the stack runs (the reasons
   are in ``streams.schedule``);
4. waits until the worker has taken the replay (it re-accepts the same events with the same
   ``case_seq``; the raw store's ReplacingMergeTree collapses the rows it had, dead letters are
   keyed by their bytes and reason: nothing is counted twice);
5. ``--events FILE``: publishes the file through the producer SDK (invalid lines raw, so they are
   dead-lettered with their reason) and waits until the stream has taken it;
6. serves ``DIR/briefings/`` on a small static HTTP server in this process, prints the URLs and
   writes them to ``DIR/stack.json`` (with the children's process ids and the state).

Ctrl-C (SIGINT) or SIGTERM: waits up to ``--drain`` seconds for the stream to take what is in the
broker (the broker forgets it on stop: only what the worker archived survives), stops the
briefing server, the worker (SIGTERM: a clean Faust shutdown; a scheduled build in progress is
finished first) and the broker, prints what stopped, and exits 0. If a child dies on its own, the
others are stopped and the command exits 3 naming it and its log.
"""

from __future__ import annotations

import functools
import http.server
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from rich.console import Console

from infra.settings import Settings
from infra.stack.gateway import TOKENS, start_gateway
from schemas.errors import CsprError, ServiceUnavailable

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


def _worker_process(bootstrap: str, data_dir: Path, log_path: Path, web_port: int, schedule_s: float | None
                    ) -> Any:
    """``streams.run.WorkerProcess`` with the live stack's options (archive, schedule, fixed port)."""
    from streams.run import WorkerProcess

    return WorkerProcess(bootstrap, data_dir, log_path, web_port=web_port, archive_inbound=True,
                         schedule_dbt_s=schedule_s)


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


def _refuse_if_running(state_path: Path) -> None:
    """One stack per folder (chDB allows one process per data folder): name the one running."""
    try:
        previous = json.loads(state_path.read_text())
        pid = int(previous["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return
    if previous.get("state") == "stopped" or pid == os.getpid():
        return
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return  # a stack that was killed: its state file is stale
    except PermissionError:
        pass
    raise StackFailed(f"a stack is already running on {state_path.parent} (pid {pid}, see {state_path}); "
                      "stop it first (Ctrl-C, or kill -TERM it)")


def _replay(data_dir: Path, bootstrap: str, log_path: Path) -> dict[str, Any]:
    with log_path.open("ab") as err:
        proc = subprocess.run([sys.executable, "-m", "streams.replay", "--data-dir", str(data_dir),
                               "--bootstrap-servers", bootstrap], stdout=subprocess.PIPE, stderr=err, check=False)
    if proc.returncode != 0:
        from streams.run import _tail

        what = ServiceUnavailable if proc.returncode == 3 else StackFailed
        raise what(f"replaying the warehouse into the broker failed (exit {proc.returncode}); log: {log_path}\n"
                   + _tail(log_path, 5))
    return json.loads(proc.stdout.decode().strip().splitlines()[-1])  # type: ignore[no-any-return]


def run_up(data_dir: Path, conf: Settings, *, events: Path | None = None, web_port: int = 0,
           briefing_port: int = 0, dbt_every_s: float = 300.0, drain_s: float = 10.0,
           timeout_s: float = 900.0) -> int:
    from infra.brokers import BrokerError, EmbeddedBroker
    from infra.topics import ensure_topics
    from streams.run import Summary, _lines, publish

    data_dir = data_dir.resolve()
    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    briefings = data_dir / "briefings"
    state_path = data_dir / "stack.json"
    lines = _lines(events) if events is not None else []  # a bad file fails before anything starts
    _refuse_if_running(state_path)
    state: dict[str, Any] = {"state": "starting", "data_dir": str(data_dir), "pid": os.getpid()}
    _write_state(state_path, state)
    saved = {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    stopped: list[str] = []
    worker: Any = None
    try:
        with ExitStack() as stack:
            try:
                # 1. broker and topics
                console.print(f"[bold]up[/bold] {data_dir}")
                broker = EmbeddedBroker(work_dir=logs)
                try:
                    broker.start()
                except BrokerError as exc:
                    raise ServiceUnavailable(f"the embedded broker did not start: {exc}") from None
                bootstrap = broker.bootstrap_servers
                assert broker.process is not None

                def stop_broker() -> None:
                    broker.stop()
                    stopped.append(f"broker (tansu at {bootstrap})")

                stack.callback(stop_broker)
                console.print(f"broker: tansu at {bootstrap} (log {broker.log_path})")
                ensure_topics(bootstrap, conf)
                state.update(state="replaying", broker=bootstrap, pids={"broker": broker.process.pid})
                _write_state(state_path, state)

                # 2. replay the durable log
                with console.status("replaying the warehouse into the broker"):
                    replayed = _replay(data_dir, bootstrap, logs / "replay.log")
                console.print(f"replay: {replayed['messages']:,} messages from {replayed['source']}")
                state["replayed"] = replayed

                # 3. worker
                worker = _worker_process(bootstrap, data_dir, logs / "worker.log", web_port,
                                         dbt_every_s if dbt_every_s > 0 else None)
                stack.callback(worker.kill)
                state["pids"]["worker"] = worker.process.pid
                state["worker_url"] = f"http://127.0.0.1:{worker.port}"
                _write_state(state_path, state)
                with console.status("worker joining the broker"):
                    worker.wait_ready(timeout_s=120)

                # 4. the replay taken
                expected = replayed["messages"]
                with console.status(f"worker taking the replay ({expected:,} messages)"):
                    worker.wait_idle(expected, timeout_s)
                status = worker.get("/status")  # with the totals over every case
                console.print(f"worker: replay taken; {status['case_table']['accepted']:,} accepted events in "
                              f"{status['case_table']['cases']:,} cases, {status['case_table']['held']:,} held")

                # 5. the file, if any
                if events is not None:
                    summary = Summary(read=len(lines))
                    with console.status(f"publishing {events} ({len(lines):,} events)"):
                        sent = publish(lines, bootstrap, conf, summary)
                    expected += sent
                    with console.status("streaming it"):
                        worker.wait_idle(expected, timeout_s)
                    status = worker.get("/status")
                    console.print(f"published {sent:,} messages from {events}; "
                                  f"{status['accepted']:,} accepted since start")
                    state["published"] = sent

                # 6. serve
                server = serve_briefings(briefings, briefing_port)

                def stop_server() -> None:
                    server.shutdown()
                    server.server_close()
                    stopped.append(f"briefing server (port {server.server_address[1]})")

                stack.callback(stop_server)
                gateway = start_gateway(conf, bootstrap, data_dir)
                stack.callback(lambda: (gateway.stop(), stopped.append(f"gateway ({gateway.url})")))
                state["gateway_url"] = gateway.url
                state.update(state="ready", briefing_url=f"http://127.0.0.1:{server.server_address[1]}/latest.html",
                             consumed_at_ready=status["consumed"])
                _write_state(state_path, state)
                url = state["worker_url"]
                console.print("[bold green]the stack is up[/bold green] — Ctrl-C stops it")
                for name, where in (
                        ("live figures", f"{url}/figures/notifications"), ("", f"{url}/figures/timeliness"),
                        ("", f"{url}/figures/local-authorities"), ("", f"{url}/overdue"),
                        ("status", f"{url}/status"),
                        ("dbt schedule", f"{url}/schedule "
                         + (f"(every {dbt_every_s:g} s)" if dbt_every_s > 0 else "(off)")),
                        ("briefing", f"{state['briefing_url']} (after the first scheduled build)"),
                        ("broker", f"{bootstrap} (publish to {conf.topic_inbound})"),
                        ("gateway", f"{gateway.url}/events (tokens: safeguarding gateway token add CODE "
                                    f"--credentials {data_dir / TOKENS})")):
                    console.print(f"  {name:<13} {where}", soft_wrap=True)
                while True:
                    time.sleep(0.5)
                    if worker.process.poll() is not None:
                        from streams.run import _tail

                        raise ServiceUnavailable(f"the worker exited with status {worker.process.returncode}; "
                                                 f"its log: {worker.log_path}\n" + _tail(worker.log_path, 10))
                    if not broker.running:
                        raise ServiceUnavailable(f"the embedded broker exited; its log: {broker.log_path}\n"
                                                 + broker.log_tail())
            except _Stop as stop:
                for s in saved:  # a second Ctrl-C while stopping changes nothing
                    signal.signal(s, lambda signum, frame: console.print("already stopping ..."))
                console.print(f"{stop.args[0]}: stopping the stack")
                state["state"] = "stopping"
                _write_state(state_path, state)
                _drain_and_stop(worker, drain_s, stopped)
            except BaseException:
                if worker is not None:
                    _stop_worker(worker, stopped)
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
    """Give the worker a moment to take what is still in the broker, then stop it."""
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
            console.print(f"[yellow]the stream was not idle after {drain_s:g} s: messages not yet archived are "
                          "lost with the broker[/yellow]")
    _stop_worker(worker, stopped)


def _stop_worker(worker: Any, stopped: list[str]) -> None:
    if worker.process.poll() is not None and worker._log.closed:
        return
    code = worker.stop(timeout_s=180)
    stopped.append(f"worker (pid {worker.process.pid}, exit {code})")
