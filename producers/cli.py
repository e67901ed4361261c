"""Partner commands: ``validate`` (and, registered below, ``produce`` and ``simulate``)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from infra.cli_checks import input_file, read_json_lines
from producers.gateway import cli as gateway_cli
from producers.publishing import cli as publishing_cli
from producers.simulator import cli as simulator_cli
from schemas.errors import exit_code_for_counts


def register(sub: Any) -> None:
    _register_validate(sub)
    publishing_cli.register(sub)  # produce
    simulator_cli.register(sub)  # simulate
    gateway_cli.register(sub)  # gateway


def _register_validate(sub: Any) -> None:
    p = sub.add_parser(
        "validate",
        help="check a JSON Lines file of events against event contract v1 or v2",
        description="Check each line of a JSON Lines file against event contract v1 or v2. Prints each "
        "invalid line as 'line N: <reason>: <path>: <message>' and a closing 'N valid, M invalid'. "
        "Exit status 0 only when every line is valid; 1 when any is invalid or there are none; 2 when "
        "the file cannot be read.",
    )
    p.add_argument("file", type=input_file(stdin=True), help="JSON Lines file, or - for standard input")
    p.add_argument("--json", action="store_true", help="print one JSON result per line instead")
    p.set_defaults(func=cmd_validate)


def cmd_validate(args: argparse.Namespace) -> int:
    from schemas import EventValidationError, parse_event

    valid = invalid = 0
    out = sys.stdout
    for number, line in read_json_lines(args.file):
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
    summary = f"{valid} valid, {invalid} invalid"
    print(summary, file=sys.stderr if args.json else sys.stdout)
    return exit_code_for_counts(good=valid, bad=invalid)
