"""``safeguarding run``: one file of events through the whole embedded stack, start to finish.

embedded broker (child) -> topics -> worker (child; it owns the chDB folder while it runs) ->
publish the file through the producer SDK -> wait until the worker is idle -> stop the worker ->
``safeguarding dbt build`` (child) -> stop the broker -> summary. Every child is stopped on
Ctrl-C or error. The broker's log is ``DIR/kafka`` (kept: a later ``run`` or ``up`` on the folder
resumes on it). A second run on the same folder with the same file changes nothing: the worker
resumes from its committed offsets and cases, and the file's events are duplicates.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from infra.brokers.base import die_with_parent
from infra.settings import Settings
from schemas.errors import CsprError, ExitCode, ServiceUnavailable, UsageError, exit_code_for_counts

log = logging.getLogger(__name__)
console = Console(stderr=True)
POLL_S = 0.25


class RunFailed(CsprError):
    """A part of the embedded stack (the worker, dbt) failed; the message says which and where
    its log is. Like an unreachable service, it is not the caller's to fix: exit 3."""

    exit_code = ExitCode.UNAVAILABLE


@dataclass
class Summary:
    read: int = 0
    valid: int = 0
    invalid_by_reason: Counter[str] = field(default_factory=Counter)
    accepted: int = 0
    duplicates: int = 0
    dead_lettered_by_reason: dict[str, int] = field(default_factory=dict)
    held: int = 0
    dbt: str = "skipped"

    def exit_code(self) -> ExitCode:
        """0 when every event was accepted (or was a duplicate of one that was); 1 when any was
        dead-lettered, or is still held (it was never stored), or there was nothing to take."""
        return exit_code_for_counts(good=self.accepted + self.duplicates,
                                    bad=sum(self.dead_lettered_by_reason.values()) + self.held)

    def as_dict(self) -> dict[str, Any]:
        return {"events_read": self.read, "valid": self.valid, "accepted": self.accepted,
                "duplicates": self.duplicates, "dead_lettered": sum(self.dead_lettered_by_reason.values()),
                "dead_lettered_by_reason": dict(sorted(self.dead_lettered_by_reason.items())),
                "held": self.held, "dbt": self.dbt}


def read_lines(path: Path) -> list[bytes]:
    try:
        with path.open("rb") as fh:
            return [line.rstrip(b"\r\n") for line in fh if line.strip()]
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None


def _free_port() -> int:
    from infra.brokers import free_port

    return free_port()


class WorkerProcess:
    """The worker as a child ``safeguarding worker`` process, reached through its web views."""

    def __init__(self, broker: str, data_dir: Path, log_path: Path, database: str | None = None,
                 env: dict[str, str] | None = None, *, web_port: int | None = None,
                 schedule_dbt_s: float | None = None, partner_tokens: Path | None = None):
        self.port = web_port or _free_port()
        self.log_path = log_path
        cmd = [sys.executable, "-m", "infra.cli", "worker", "--bootstrap-servers", broker,
               "--data-dir", str(data_dir), "--web-port", str(self.port)]
        if database:
            cmd += ["--database", database]
        if schedule_dbt_s:
            cmd += ["--schedule-dbt", f"{schedule_dbt_s:g}"]
        if partner_tokens is not None:
            cmd += ["--partner-views", str(partner_tokens)]
        self._log = log_path.open("ab")
        # its own session (a Ctrl-C at the terminal reaches the parent, which stops it in order),
        # but it dies with the parent however the parent dies (no orphan holding the warehouse)
        self.process = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT,
                                        env={**os.environ, **(env or {})}, start_new_session=True,
                                        preexec_fn=die_with_parent())

    def status(self, fast: bool = True) -> dict[str, Any] | None:
        """The worker's /status; ``fast`` skips the totals over every case (a walk of the whole
        case table, too slow to poll several times a second on a large history)."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/status" + ("?fast=1" if fast else ""),
                                        timeout=5) as resp:
                return json.loads(resp.read())
        except (urllib.error.URLError, OSError, ValueError):
            return None

    def get(self, path: str, analyst_token: str | None = None, timeout_s: float = 30) -> Any:
        """A web view's JSON; with ``analyst_token``, as an analyst (exact figures)."""
        headers = {"Authorization": f"Bearer {analyst_token}"} if analyst_token else {}
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", headers=headers)
        with urllib.request.urlopen(request, timeout=timeout_s) as resp:
            return json.loads(resp.read())

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise RunFailed(f"the worker exited with status {self.process.returncode}; its log: {self.log_path}\n"
                            + tail(self.log_path))

    def wait_ready(self, timeout_s: float) -> dict[str, Any]:
        """Until the worker serves /status and has its partitions (its consumer group formed)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.check_alive()
            status = self.status()
            if status and all(v is not None for v in status["lag"].values()):
                return status
            time.sleep(POLL_S)
        raise ServiceUnavailable(f"the worker did not join the broker within {timeout_s:g} s; log: {self.log_path}")

    def wait_idle(self, consumed_at_least: int, timeout_s: float, progress: Any = None, task: Any = None
                  ) -> dict[str, Any]:
        """Until the worker has consumed that many messages and is idle twice in a row."""
        deadline = time.monotonic() + timeout_s
        idle_polls = 0
        while time.monotonic() < deadline:
            self.check_alive()
            status = self.status()
            if status:
                if progress is not None:
                    progress.update(task, completed=min(status["consumed"], consumed_at_least))
                done = status["consumed"] >= consumed_at_least and status["idle"]
                idle_polls = idle_polls + 1 if done else 0
                if idle_polls >= 2:
                    return status
            time.sleep(POLL_S)
        raise RunFailed(f"the stream did not finish within {timeout_s:g} s; worker log: {self.log_path}")

    def stop(self, timeout_s: float = 30.0) -> int | None:
        """SIGTERM (a clean Faust shutdown), then SIGKILL if it does not stop in time."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                log.warning("worker did not stop in %.0f s; killing it", timeout_s)
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode

    @property
    def stopped(self) -> bool:
        """Whether it has exited and ``stop()`` has closed its log."""
        return self.process.poll() is not None and self._log.closed

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text("utf-8", "replace").splitlines()[-lines:])
    except OSError:
        return ""


def publish(lines: list[bytes], bootstrap: str, conf: Settings, summary: Summary, progress: Any = None,
            task: Any = None) -> int:
    """Valid lines through the producer SDK; invalid ones as raw bytes, so the stream dead-letters
    them with their reason (nothing is silently dropped). Returns how many messages were sent."""
    from kafka import KafkaProducer

    from producers.publishing.publisher import Publisher

    sent = 0
    invalid: list[bytes] = []
    with Publisher.from_settings(conf, bootstrap_servers=bootstrap) as publisher:
        for result, raw in zip(publisher.publish_many(lines), lines, strict=True):
            if result.status == "sent":
                sent += 1
                summary.valid += 1
            elif result.status == "invalid":
                summary.invalid_by_reason[result.reason or "invalid"] += 1
                invalid.append(raw)
            else:
                raise RunFailed(f"the broker did not take an event: {result.describe()}")
            if progress is not None:
                progress.advance(task)
    if invalid:
        from kafka.errors import KafkaError

        producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
                                 max_request_size=16 << 20)
        try:
            futures = []
            for raw in invalid:
                try:
                    futures.append(producer.send(conf.topic_inbound, key=subject_of(raw), value=raw))
                except KafkaError as exc:  # larger than the producer takes: said, not sent
                    console.print(f"[yellow]an invalid line of {len(raw):,} bytes was not sent: {exc}[/yellow]")
            producer.flush(timeout=60)
            for f in futures:
                try:
                    f.get(timeout=60)
                    sent += 1
                except KafkaError as exc:  # e.g. larger than the broker takes: said, not sent
                    console.print(f"[yellow]the broker refused an invalid line: {type(exc).__name__}: {exc}[/yellow]")
        finally:
            producer.close()
    return sent


def subject_of(raw: bytes) -> bytes | None:
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    subject = doc.get("subject") if isinstance(doc, dict) else None
    return subject.encode() if isinstance(subject, str) else None


def run_file(events: Path, data_dir: Path, conf: Settings, build_dbt: bool = True,
             timeout_s: float = 900.0) -> Summary:
    from infra.brokers import BrokerError, EmbeddedBroker
    from infra.topics import ensure_topics

    lines = read_lines(events)
    summary = Summary(read=len(lines))
    data_dir = Path(data_dir)
    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        console.print(f"[bold]run[/bold] {events} ({len(lines):,} events) -> {data_dir}")
        broker = EmbeddedBroker(data_dir)
        try:
            with console.status("starting the embedded broker (Apache Kafka)"):
                broker.start()
        except BrokerError as exc:
            raise ServiceUnavailable(f"the embedded broker did not start: {exc}") from None
        stack.callback(broker.stop)
        bootstrap = broker.bootstrap_servers
        console.print(f"broker: Apache Kafka at {bootstrap} (log {broker.data_dir})")
        ensure_topics(bootstrap, conf)
        worker = WorkerProcess(bootstrap, data_dir, logs / "worker.log")
        stack.callback(worker.kill)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, transient=False) as progress:
            waiting = progress.add_task("worker joining the broker", total=None)
            worker.wait_ready(timeout_s=120)
            progress.update(waiting, total=1, completed=1)
            pub = progress.add_task("publishing", total=len(lines))
            sent = publish(lines, bootstrap, conf, summary, progress, pub)
            streamed = progress.add_task("streaming into ClickHouse", total=sent)
            worker.wait_idle(sent, timeout_s, progress, streamed)
            status = worker.status(fast=False)
            if status is None:
                raise RunFailed(f"the worker stopped answering /status; its log: {worker.log_path}")
        code = worker.stop()
        if code not in (0, None):
            raise RunFailed(f"the worker exited with status {code} on stop; log: {worker.log_path}")
        summary.accepted = status["case_table"]["accepted"]
        summary.duplicates = status["duplicates"]
        summary.dead_lettered_by_reason = status["dead_lettered_by_reason"]
        summary.held = status["case_table"]["held"]
        if build_dbt:
            summary.dbt = _dbt_build(data_dir, logs / "dbt.log")
    _print(summary)
    return summary


def _dbt_build(data_dir: Path, log_path: Path) -> str:
    from infra.warehouse.dbt_runner import DbtError, project_dir

    try:
        project_dir()
    except DbtError:
        console.print("dbt: no dbt project, marts not built")
        return "no dbt project"
    console.print("dbt: building the latest vintage (the marts as known now) ...")
    with log_path.open("ab") as out:
        proc = subprocess.run([sys.executable, "-m", "infra.cli", "report", "vintages", "--build", "latest",
                               "--data-dir", str(data_dir)],
                              stdout=out, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        raise RunFailed(f"building the latest vintage failed (exit {proc.returncode}); its log: {log_path}\n" + tail(log_path))
    return "built"


def _print(summary: Summary) -> None:
    from rich.table import Table

    table = Table(title="run summary")
    table.add_column("what")
    table.add_column("events", justify="right")
    table.add_row("read", f"{summary.read:,}")
    table.add_row("valid", f"{summary.valid:,}")
    table.add_row("accepted", f"{summary.accepted:,}")
    table.add_row("duplicates", f"{summary.duplicates:,}")
    for reason, n in sorted(summary.dead_lettered_by_reason.items()):
        table.add_row(f"dead-lettered: {reason}", f"{n:,}")
    table.add_row("held (no notification yet)", f"{summary.held:,}")
    table.add_row("dbt marts", summary.dbt)
    console.print(table)
    print(json.dumps(summary.as_dict(), sort_keys=True))
