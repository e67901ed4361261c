"""Partner commands: ``validate`` (and, registered below, ``produce`` and ``simulate``)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from infra.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, register_optional


def register(sub: Any) -> None:
    _register_validate(sub)
    register_optional(sub, "producers.publishing.cli")  # produce
    register_optional(sub, "producers.simulator.cli")  # simulate
    register_optional(sub, "producers.gateway.cli")  # gateway


def _register_validate(sub: Any) -> None:
    p = sub.add_parser(
        "validate",
        help="check a JSON Lines file of events against contract v1",
        description="Check each line of a JSON Lines file against event contract v1. Prints each "
        "invalid line as 'line N: <reason>: <path>: <message>' and a closing 'N valid, M invalid'. "
        "Exit status 0 only when every line is valid.",
    )
    p.add_argument("file", help="JSON Lines file, or - for standard input")
    p.add_argument("--json", action="store_true", help="print one JSON result per line instead")
    p.set_defaults(func=cmd_validate)


def read_lines(file: str) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes) for each non-blank line of FILE or stdin; raises OSError."""
    if file == "-":
        yield from _numbered(sys.stdin.buffer)
    else:
        with Path(file).open("rb") as stream:
            yield from _numbered(stream)


def _numbered(stream: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    # Blank lines are not events (a trailing newline, a spacer): numbered but not checked.
    for number, line in enumerate(stream, start=1):
        line = line.rstrip(b"\r\n")
        if line.strip():
            yield number, line


def cmd_validate(args: argparse.Namespace) -> int:
    from schemas import EventValidationError, parse_event

    valid = invalid = 0
    out = sys.stdout
    try:
        for number, line in read_lines(args.file):
            try:
                event = parse_event(line)
            except EventValidationError as err:
                invalid += 1
                if args.json:
                    out.write(json.dumps({"line": number, "valid": False, **err.as_dict()}) + "\n")
                else:
                    for problem in err.problems:
                        out.write(f"line {number}: {err.reason}: {problem.path}: {problem.message}\n")
            else:
                valid += 1
                if args.json:
                    out.write(json.dumps({"line": number, "valid": True, "type": event.type, "id": event.id}) + "\n")
    except OSError as exc:
        print(f"safeguarding validate: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    summary = f"{valid} valid, {invalid} invalid"
    print(summary, file=sys.stderr if args.json else sys.stdout)
    return EXIT_OK if invalid == 0 else EXIT_INVALID
