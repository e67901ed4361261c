"""What both brokers share: a child process on loopback, a log file, a bounded wait for readiness."""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from schemas.errors import CsprError, ServiceUnavailable

log = logging.getLogger(__name__)

LOG_TAIL_LINES = 25


class BrokerError(CsprError):
    """A broker the project runs itself could not be prepared, started or stopped."""


class BrokerStartError(BrokerError, ServiceUnavailable):
    """The broker did not accept Kafka connections in time (or exited); carries its log's tail."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_PR_SET_PDEATHSIG = 1
_libc: object = None


def die_with_parent(signum: int = signal.SIGTERM) -> Any:
    """A ``preexec_fn`` for ``Popen``: the child gets ``signum`` when its parent dies, however it
    dies (SIGKILL included), so no child outlives the process that started it (Linux's
    ``prctl(PR_SET_PDEATHSIG)``; elsewhere it does nothing). The thread that starts the child must
    live as long as the parent: the signal is sent when *that thread* exits."""
    global _libc
    if not sys.platform.startswith("linux"):
        return None
    if _libc is None:  # loaded here, in the parent: nothing but the call itself runs after fork
        _libc = ctypes.CDLL(None, use_errno=True)
    prctl = _libc.prctl  # type: ignore[attr-defined]
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signum), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), signum)

    return preexec


def _accepts_tcp(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_until_ready(bootstrap_servers: str, timeout_s: float, process: subprocess.Popen[bytes] | None = None,
                     ) -> None:
    """Return once the broker answers a Kafka metadata request listing at least one broker.

    Raises ``TimeoutError`` after ``timeout_s``, or ``ChildProcessError`` if ``process`` exits.
    A TCP connect is tried first (cheap); only then a real Kafka client, because a JVM listens
    some time before it can serve metadata.
    """
    from kafka import KafkaAdminClient  # kafka-python: imported here to keep `import infra` light

    host, _, port = bootstrap_servers.split(",")[0].rpartition(":")
    deadline = time.monotonic() + timeout_s
    last_error = "no answer"
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise ChildProcessError(f"status {process.returncode}")
        if _accepts_tcp(host, int(port)):
            remaining_ms = int(max(0.5, min(2.0, deadline - time.monotonic())) * 1000)
            try:
                admin = KafkaAdminClient(
                    bootstrap_servers=bootstrap_servers, client_id="cspr-readiness",
                    bootstrap_timeout_ms=remaining_ms, request_timeout_ms=remaining_ms,
                )
                try:
                    if admin.describe_cluster().get("brokers"):
                        return
                    last_error = "metadata lists no broker yet"
                finally:
                    admin.close()
            except Exception as exc:  # any client error means "not ready yet": keep polling
                last_error = f"{type(exc).__name__}: {exc}"
        time.sleep(0.1)
    raise TimeoutError(last_error)


class ChildBroker:
    """A broker run as a child process on 127.0.0.1 with its output in ``<work_dir>/<name>.log``.

    ``work_dir``: where the log (and any broker files) go; a temporary folder, removed on
    ``stop()``, when not given. Subclasses say how to prepare and run the broker.
    """

    name = "broker"
    default_start_timeout_s = 30.0

    def __init__(self, *, work_dir: Path | str | None = None, port: int | None = None,
                 start_timeout_s: float | None = None, stop_timeout_s: float = 15.0) -> None:
        self._given_work_dir = Path(work_dir) if work_dir is not None else None
        self.work_dir: Path | None = None
        self.port = port
        self._auto_ports = port is None
        self.start_timeout_s = start_timeout_s or self.default_start_timeout_s
        self.stop_timeout_s = stop_timeout_s
        self.process: subprocess.Popen[bytes] | None = None
        self._log_file: object = None
        self._log_start = 0
        self._started_at = 0.0

    # --- what subclasses provide ---
    def _prepare(self) -> None:
        """Write config files, format storage, ... before the process starts."""

    def _command(self) -> Sequence[str]:
        raise NotImplementedError

    def _env(self) -> dict[str, str]:
        return dict(os.environ)

    # --- public ---
    @property
    def bootstrap_servers(self) -> str:
        if self.port is None:
            raise BrokerError(f"{self.name} has not been started: call start() first")
        return f"127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        if self.work_dir is None:
            raise BrokerError(f"{self.name} has not been started: call start() first")
        return self.work_dir / f"{self.name}.log"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, wait: bool = True) -> Self:
        """Start the broker and wait (at most ``start_timeout_s``) until it serves Kafka clients.

        Raises ``BrokerStartError`` (a ``ServiceUnavailable``) with the last lines of its log.
        ``wait=False`` returns once the process runs: call ``wait_ready()`` later (e.g. from
        another thread; the process itself must be started by a thread that lives as long as the
        program, see ``die_with_parent``).
        """
        if self.running:
            return self
        for attempt in range(3):
            try:
                return self._start_once(wait)
            except BrokerStartError as exc:
                # A free port can be taken by another process between our probe and the
                # broker's bind: pick new ports and try again.
                if not self._auto_ports or not self._port_conflict(str(exc)) or attempt == 2:
                    raise
                log.warning("%s: port %s was taken meanwhile; retrying on another", self.name, self.port)
                self.port = None
                self._reset_ports()
        raise AssertionError("unreachable")  # pragma: no cover

    def _port_conflict(self, message: str) -> bool:
        """Whether the failed start was a port taken (said in the error or this start's log)."""
        if "in use" in message:
            return True
        try:
            with self.log_path.open("rb") as fh:
                fh.seek(self._log_start)
                return b"already in use" in fh.read()
        except (OSError, BrokerError):
            return False

    def _reset_ports(self) -> None:
        """Forget any other automatically chosen ports (subclasses with more listeners)."""

    def _start_once(self, wait: bool) -> Self:
        if self._given_work_dir is not None:
            self._given_work_dir.mkdir(parents=True, exist_ok=True)
            self.work_dir = self._given_work_dir
        else:
            self.work_dir = Path(tempfile.mkdtemp(prefix=f"cspr-{self.name}-"))
        if self.port is None:
            self.port = free_port()
        self._started_at = time.monotonic()
        self._prepare()
        command = list(self._command())
        log.info("starting %s on %s (log %s)", self.name, self.bootstrap_servers, self.log_path)
        log_file = self.log_path.open("ab")
        self._log_start = log_file.tell()
        try:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                env=self._env(), cwd=self.work_dir, start_new_session=True, preexec_fn=die_with_parent(),
            )
        except OSError as exc:
            log_file.close()
            raise BrokerStartError(f"cannot run {self.name} ({command[0]}): {exc.strerror or exc}") from exc
        self._log_file = log_file
        # A broker must not outlive the interpreter that started it, even if stop() is forgotten.
        self._finalizer = weakref.finalize(self, _kill_quietly, self.process)
        atexit.register(self._finalizer)
        return self.wait_ready() if wait else self

    def wait_ready(self) -> Self:
        """Wait (at most ``start_timeout_s`` from the start) until the started broker serves Kafka
        clients; on failure stop it and raise ``BrokerStartError`` with the last lines of its log."""
        if self.process is None:
            raise BrokerError(f"{self.name} has not been started: call start() first")
        try:
            remaining = max(1.0, self._started_at + self.start_timeout_s - time.monotonic())
            wait_until_ready(self.bootstrap_servers, remaining, self.process)
        except (TimeoutError, ChildProcessError) as exc:
            detail = (f"exited ({exc})" if isinstance(exc, ChildProcessError)
                      else f"did not accept Kafka connections within {self.start_timeout_s:g} s (last: {exc})")
            tail = self.log_tail()
            self.stop()
            raise BrokerStartError(
                f"{self.name} on {self.bootstrap_servers} {detail}. Last lines of its log "
                f"{self.log_path if self._given_work_dir else '(temporary)'}:\n{tail}"
            ) from exc
        log.info("%s ready on %s in %.1f s", self.name, self.bootstrap_servers, time.monotonic() - self._started_at)
        return self

    def stop(self) -> None:
        """Terminate the broker (SIGTERM, then SIGKILL after ``stop_timeout_s``); idempotent."""
        process, self.process = self.process, None
        if process is not None:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGTERM)
                try:
                    process.wait(self.stop_timeout_s)
                except subprocess.TimeoutExpired:
                    log.warning("%s did not stop within %g s: killing it", self.name, self.stop_timeout_s)
                    process.kill()
                    process.wait(5)
            log.info("%s on port %s stopped", self.name, self.port)
        if self._log_file is not None:
            self._log_file.close()  # type: ignore[attr-defined]
            self._log_file = None
        if self._given_work_dir is None and self.work_dir is not None:
            shutil.rmtree(self.work_dir, ignore_errors=True)
            self.work_dir = None

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except (OSError, BrokerError):
            return "  (no log)"
        return "\n".join("  " + line for line in text.splitlines()[-lines:]) or "  (empty log)"

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"running on {self.bootstrap_servers}" if self.running else "stopped"
        return f"<{type(self).__name__} {state}>"


def _kill_quietly(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        with contextlib.suppress(OSError):
            process.kill()
            process.wait(5)
