"""The one place where what a user gives the command line is checked, before any work starts.

Every path, file and folder a ``safeguarding`` command takes goes through one of the argument
types below (``type=input_file("--events")``), and ``infra.cli.main`` reads and validates every
setting before it runs a command. A mistake is then one line naming the thing and what is wrong,
with the exit status of ``schemas.errors.ExitCode``: 2 for a path that cannot be read or written,
1 for a file that is readable but holds no events (empty, binary, a JSON array). Nothing is
written while checking: a folder's writability is probed with a temporary folder that is removed
at once.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from schemas.errors import InvalidInput, UsageError

HEAD_BYTES = 64 * 1024  # how much of an input file is looked at before any work starts
CONTROL_SHARE = 0.3  # more control bytes than this in the head: not text
_TEXT_CONTROLS = set(b"\t\n\r\f\b\x1b")

RUN_FIRST = "run `safeguarding run` or `safeguarding up` first"


# --- input files of events (JSON Lines) ---------------------------------------------------------


def input_file(option: str = "", *, stdin: bool = False) -> Callable[[str], Path | str]:
    """An argparse ``type``: a readable JSON Lines file (or ``-`` for standard input when
    ``stdin``). ``option`` names it in messages (``--events``); empty for a positional."""

    def check(text: str) -> Path | str:
        if stdin and text == "-":
            return text
        return check_input_file(Path(text), option)

    return check


def check_input_file(path: Path, option: str = "") -> Path:
    """``path`` if it is a readable file that looks like JSON Lines; else ``UsageError`` (cannot
    read it: exit 2) or ``InvalidInput`` (read it, and it holds no events: exit 1)."""
    where = f"{option}: " if option else ""
    if path.is_dir():
        raise UsageError(f"{where}cannot read {path}: is a directory, not a file of events")
    try:
        with path.open("rb") as fh:
            head = fh.read(HEAD_BYTES)
            more = bool(fh.read(1))
    except OSError as exc:
        raise UsageError(f"{where}cannot read {path}: {exc.strerror or exc}") from None
    if not head.strip() and not more:
        raise InvalidInput(f"{where}{path} is empty: no events to read")
    _check_head(head, f"{where}{path}", str(path))
    return path


def _check_head(head: bytes, name: str, shown: str) -> None:
    """Reject what is plainly not JSON Lines, from its first bytes."""
    if b"\0" in head or sum(b < 32 and b not in _TEXT_CONTROLS for b in head) > CONTROL_SHARE * len(head):
        raise InvalidInput(f"{name} is binary data, not JSON Lines (one JSON event per line)")
    if _is_json_array(head):
        raise InvalidInput(f"{name} is a JSON array; expected JSON Lines, one event object per line "
                           f"(convert it with: jq -c '.[]' {shown})")


def _is_json_array(head: bytes) -> bool:
    """A JSON array of events rather than JSON Lines: an array that runs past its first line (pretty-
    printed), or one line holding a whole array of objects. A single line that merely starts with
    ``[`` (a hostile or mistaken event) is JSON Lines with one invalid line: it is dead-lettered."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text.startswith(b"["):
        return False
    first, _, rest = text.partition(b"\n")
    try:
        value = json.loads(first)
    except RecursionError:  # nested too deep to be events: a bad line, not an array of them
        return False
    except ValueError:
        return True
    return isinstance(value, list) and not rest.strip() and any(isinstance(v, dict) for v in value)


def read_json_lines(file: Path | str) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes) for each non-blank line of a file, or of standard input for ``-``.

    A file has been checked by ``input_file``; standard input is checked here as it is read:
    nothing at all, binary data or a JSON array raise ``InvalidInput``. Raises ``OSError`` if the
    file cannot be read after all."""
    if file == "-":
        yield from _checked_stream(sys.stdin.buffer, "standard input", "FILE")
    else:
        with Path(file).open("rb") as stream:
            yield from _checked_stream(stream, str(file), str(file))


def _checked_stream(stream: IO[bytes], name: str, shown: str) -> Iterator[tuple[int, bytes]]:
    seen = False
    # Blank lines are not events (a trailing newline, a spacer): numbered but not checked.
    for number, line in enumerate(stream, start=1):
        line = line.rstrip(b"\r\n")
        if not line.strip():
            continue
        if not seen:
            _check_head(line[:HEAD_BYTES], name, shown)
            seen = True
        yield number, line
    if not seen:
        raise InvalidInput(f"{name} is empty: no events to read")


# --- output files --------------------------------------------------------------------------------


def output_file(option: str, *, suffixes: tuple[str, ...] = (), stdout: bool = False) -> Callable[[str], Path | str]:
    """An argparse ``type``: a file this command may create (its folder exists and is writable)."""

    def check(text: str) -> Path | str:
        if stdout and text == "-":
            return text
        path = Path(text)
        if suffixes and path.suffix.lower() not in suffixes:
            raise UsageError(f"{option} must be an {suffixes[0]} file, got {text!r}")
        if path.is_dir():
            raise UsageError(f"{option} {path} is a folder; give a file name")
        parent = path.parent
        if not parent.is_dir():
            what = "is a file, not a folder" if parent.exists() else "does not exist"
            raise UsageError(f"{option} {path}: folder {parent} {what}")
        _probe_writable(parent, f"{option} {path}")
        return path

    return check


# --- data folders --------------------------------------------------------------------------------


def data_dir_to_write(text: str) -> Path:
    """An argparse ``type`` for ``--data-dir`` of a command that writes there (run, up, demo,
    worker): a folder, or a path where one can be created."""
    return check_writable_dir(Path(text), "--data-dir")


def data_dir_to_read(text: str) -> Path:
    """An argparse ``type`` for ``--data-dir`` of a command that reads a warehouse there (report,
    dbt): it must already hold one. Nothing is created."""
    return check_warehouse_dir(Path(text), "--data-dir")


def check_writable_dir(path: Path, option: str) -> Path:
    """``path`` if it is a writable folder, or can be created as one; else ``UsageError``."""
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        where = "" if existing == path else f": {existing}"
        raise UsageError(f"{option} {path}{where} is a file, not a folder")
    _probe_writable(existing, f"{option} {path}")
    return path


def check_warehouse_dir(path: Path, option: str) -> Path:
    """``path`` if it holds an embedded warehouse (``path/warehouse``, written by ``run`` or ``up``)."""
    if path.exists() and not path.is_dir():
        raise UsageError(f"{option} {path} is a file, not a folder")
    if not holds_warehouse(path / "warehouse"):
        raise UsageError(f"{option} {path} holds no warehouse; {RUN_FIRST}")
    return path


def check_warehouse_path(warehouse: Path, setting: str) -> Path:
    """The settings' chDB folder (no ``--data-dir`` given) must exist too."""
    if not holds_warehouse(warehouse):
        raise UsageError(f"{setting} holds no warehouse (no {warehouse}); {RUN_FIRST}, or give --data-dir")
    return warehouse


def holds_warehouse(folder: Path) -> bool:
    try:
        return folder.is_dir() and any(folder.iterdir())
    except OSError:
        return False


def _probe_writable(folder: Path, name: str) -> None:
    """Create and remove a temporary folder in ``folder``: the only sure test (root passes
    ``os.access`` everywhere, /proc refuses even root)."""
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".cspr-probe-", dir=folder))
    except OSError as exc:
        raise UsageError(f"{name}: cannot create anything in {folder} ({exc.strerror or exc})") from None


# --- numbers -------------------------------------------------------------------------------------


def port(option: str) -> Callable[[str], int]:
    """An argparse ``type``: a TCP port, 0 (any free port) to 65535."""

    def check(text: str) -> int:
        if not text.strip().isdigit() or not 0 <= int(text) <= 65535:
            raise UsageError(f"{option} must be a port 0..65535, got {text!r}")
        return int(text)

    return check


def seconds(option: str, *, zero: str = "") -> Callable[[str], float]:
    """An argparse ``type``: a positive number of seconds (or 0 too, meaning ``zero``)."""

    def check(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not (value > 0 or (zero and value == 0)) or value == float("inf"):
            allowed = f"0 ({zero}) or a positive number of seconds" if zero else "a positive number of seconds"
            raise UsageError(f"{option} must be {allowed}, got {text!r}")
        return value

    return check
