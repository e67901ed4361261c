"""``safeguarding simulate``: write a simulated event history as JSON Lines, in arrival order."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from infra.cli_checks import output_file
from schemas.errors import CsprError, ExitCode, UsageError

log = logging.getLogger(__name__)
SCENARIOS = ("report-2020", "random")


class SimulatorOutputError(CsprError):
    """The output file cannot be written."""


def register(sub: Any) -> None:
    p = sub.add_parser(
        "simulate",
        help="write a simulated event history (JSON Lines, arrival order)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Write a simulated history of events, one JSON event per line, in the order they arrive.\n\n"
            "  report-2020  the calibrated history 2018 to 2021-03-31: replayed through the platform,\n"
            "               'report figures --year 2020 --as-of 2021-03-31' gives exactly the Panel's\n"
            "               annual report 2020 (shared/acceptance), for any --seed. Every event is valid;\n"
            "               it includes corrections, withdrawals, duplicate deliveries and a few\n"
            "               notifications delivered after their case's next event.\n"
            "  random       a realistic history of --cases cases over --years years from --start-year,\n"
            "               with duplicate, out-of-order and invalid deliveries at the given rates (for\n"
            "               load tests; streamed to the file, so any size fits in memory)."
        ),
        epilog="Examples:\n"
        "  safeguarding simulate --scenario report-2020 --out data/report-2020.jsonl --seed 1\n"
        "  safeguarding simulate --scenario random --cases 100000 --seed 7 --invalid-rate 0.01 --out load.jsonl",
    )
    p.add_argument("--scenario", required=True, choices=SCENARIOS, help="which history to write (see above)")
    p.add_argument("--out", required=True, metavar="FILE", type=output_file("--out", stdout=True),
                   help="output file ('-' for standard output); written to FILE.partial first, then renamed, "
                   "so a failed run never leaves half a file")
    p.add_argument("--contract", choices=("v1", "v2"), default="v1",
                   help="v2: reviews, decisions, Panel feedback and LCSPR reports carry coded learning (contract "
                   "v2) and safeguarding partnerships' events are added; v1 (default): exactly today's history")
    p.add_argument("--seed", type=int, default=0,
                   help="random seed: the same seed gives the same bytes (ids, dates, values); default 0")
    g = p.add_argument_group("random scenario", "only with --scenario random")
    g.add_argument("--cases", type=int, default=None, help="number of notified cases (default 1000)")
    g.add_argument("--start-year", type=int, default=None, help="first year of notifications (default 2019)")
    g.add_argument("--years", type=int, default=None, help="number of years of notifications (default 2)")
    g.add_argument("--correction-rate", type=float, default=None, metavar="P",
                   help="share of cases corrected once after notification (default 0.05)")
    g.add_argument("--withdrawal-rate", type=float, default=None, metavar="P",
                   help="share of cases withdrawn (default 0.02)")
    g.add_argument("--duplicate-rate", type=float, default=None, metavar="P",
                   help="share of events delivered twice, same bytes (default 0.01)")
    g.add_argument("--out-of-order-rate", type=float, default=None, metavar="P",
                   help="share of cases whose notification arrives after their next event (one in ten "
                   "of these also sends an event for a case that is never notified) (default 0.01)")
    g.add_argument("--invalid-rate", type=float, default=None, metavar="P",
                   help="per event, chance of an extra invalid event of a random kind: bad JSON, unknown "
                   "field, wrong type, wrong source, case_exists, ... (default 0.005)")
    p.set_defaults(func=cmd_simulate)


RANDOM_OPTIONS = {  # the random scenario's options and their defaults (None in argparse: "not given")
    "cases": 1000, "start_year": 2019, "years": 2, "correction_rate": 0.05, "withdrawal_rate": 0.02,
    "duplicate_rate": 0.01, "out_of_order_rate": 0.01, "invalid_rate": 0.005,
}


def _lines(args: argparse.Namespace) -> Iterator[bytes]:
    given = [name for name in RANDOM_OPTIONS if getattr(args, name) is not None]
    if args.scenario == "report-2020":
        if given:
            named = ", ".join("--" + name.replace("_", "-") for name in given)
            raise UsageError(f"{named}: only for --scenario random (report-2020 is a fixed, calibrated history)")
        from producers.simulator import report_2020

        return iter(report_2020(args.seed, args.contract))
    from producers.simulator import random_history

    values = {name: default if getattr(args, name) is None else getattr(args, name)
              for name, default in RANDOM_OPTIONS.items()}
    cases = int(values.pop("cases"))
    # validates before anything is written
    return random_history(cases, args.seed, args.contract, **values)


def _with_progress(lines: Iterable[bytes], label: str) -> Iterator[bytes]:
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        yield from lines
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed:,} events"),
                  TimeElapsedColumn(), console=console, transient=True) as progress:
        task = progress.add_task(label, total=None)
        for i, line in enumerate(lines, 1):
            yield line
            if i % 20000 == 0:
                progress.update(task, completed=i)


def cmd_simulate(args: argparse.Namespace) -> int:
    from producers.simulator import write_lines

    started = time.perf_counter()
    lines = _lines(args)
    label = f"simulating {args.scenario} (seed {args.seed})"
    if args.out == "-":
        count = 0
        for count, line in enumerate(_with_progress(lines, label), 1):  # noqa: B007 - count is the total
            sys.stdout.buffer.write(line + b"\n")
        sys.stdout.buffer.flush()
    else:
        out = Path(args.out)
        try:
            count = write_lines(_with_progress(lines, label), out)
        except OSError as exc:
            raise SimulatorOutputError(f"cannot write --out {out}: {exc.strerror or exc}") from exc
    seconds = time.perf_counter() - started
    log.info("wrote %d events in %.1fs", count, seconds)
    where = "standard output" if args.out == "-" else args.out
    print(f"wrote {count:,} events ({args.scenario}, seed {args.seed}) to {where} in {seconds:.1f}s "
          f"({count / max(seconds, 1e-9):,.0f} events/s)", file=sys.stderr)
    return ExitCode.OK
