"""The main job: every stage in turn, each in its own process, with progress all the way.

Each step runs as a child ``safeguarding`` command, as an operator would run it: chDB allows
one data folder per process, and the worker must own the warehouse while it streams, so the
report and the briefings read it only after the worker has stopped.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from schemas.errors import CsprError, ExitCode

YEAR, AS_OF = 2020, "2021-03-31"
QUARTERS = ("2020Q2", "2020Q3")
# Never wrap a line mid-path: the echoed commands are meant to be copied (rich wraps at 80 columns
# when stderr is not a terminal).
console = Console(stderr=True, soft_wrap=True)


class DemoStepFailed(CsprError):
    """A step of the demo failed; its own output says why, and its exit status is the demo's."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = ExitCode(exit_code) if exit_code in set(ExitCode) else ExitCode.UNAVAILABLE


def _step(title: str, argv: list[str], capture: bool = False) -> str:
    console.rule(f"[bold]{title}")
    console.print(f"$ safeguarding {' '.join(argv)}", style="dim", markup=False)
    started = time.monotonic()
    cmd = [sys.executable, "-m", "infra.cli", *argv]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE if capture else None, text=True, check=False)
    took = time.monotonic() - started
    if proc.returncode != 0:
        raise DemoStepFailed(f"step '{title}' failed (exit {proc.returncode}) after {took:.1f} s; see its output above",
                             proc.returncode)
    console.print(f"done in {took:.1f} s", style="green")
    return proc.stdout or ""


def run_demo(data_dir: Path, seed: int = 2020) -> int:
    data_dir.mkdir(parents=True, exist_ok=True)
    events = data_dir / "events" / "report-2020.jsonl"
    events.parent.mkdir(parents=True, exist_ok=True)
    briefings = data_dir / "briefings"
    briefings.mkdir(parents=True, exist_ok=True)

    _step("1/6 simulate the calibrated 2020 history",
          ["simulate", "--scenario", "report-2020", "--seed", str(seed), "--out", str(events)])
    _step("2/6 stream it: embedded broker, Faust worker, ClickHouse sink, dbt",
          ["run", "--events", str(events), "--data-dir", str(data_dir)])
    figures_text = _step(f"3/6 read the report figures from the marts ({YEAR}, as at {AS_OF})",
                         ["report", "figures", "--year", str(YEAR), "--as-of", AS_OF, "--data-dir", str(data_dir)],
                         capture=True)
    figures = json.loads(figures_text)
    (data_dir / "figures-2020.json").write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    # each briefing is as known at its quarter's end: those two vintages, beside 31 March 2021's
    ends = [_quarter_end(q) for q in QUARTERS]
    _step("4/6 build the vintages as known at " + " and ".join(ends),
          ["report", "vintages", *(a for e in ends for a in ("--build", e)), "--data-dir", str(data_dir)],
          capture=True)
    outputs = []
    for i, quarter in enumerate(QUARTERS, start=5):
        out = briefings / f"briefing-{quarter}.html"
        _step(f"{i}/6 write the {quarter} briefing, as known at its end",
              ["report", "briefing", "--quarter", quarter, "--out", str(out), "--data-dir", str(data_dir)])
        outputs.append(out)

    matched, total = _print_comparison(figures, _published())
    console.rule("[bold]outputs")
    console.print(f"events:    {events}")
    console.print(f"figures:   {data_dir / 'figures-2020.json'}")
    for out in outputs:
        console.print(f"briefing:  {out}")
    console.print(f"warehouse: {data_dir / 'warehouse'} (chDB; `safeguarding dbt ... --data-dir {data_dir}`)")
    verdict = "every figure matches the annual report" if matched == total else f"{total - matched} figures differ"
    console.print(f"\n[bold]{matched}/{total} figures match:[/bold] {verdict}")
    return 0 if matched == total else 1


def _quarter_end(quarter: str) -> str:
    from dashboards.briefing.data import Quarter

    return Quarter.parse(quarter).end.isoformat()


def _published() -> dict[str, Any]:
    from importlib import resources

    text = resources.files("producers.simulator").joinpath("targets/report-2020-figures.json").read_text("utf-8")
    return dict(json.loads(text))


def _leaves(doc: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from _leaves(value, f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix, doc


def _print_comparison(figures: dict[str, Any], published: dict[str, Any]) -> tuple[int, int]:
    """Print the headline figures beside the published ones; count every figure that matches."""
    ours = dict(_leaves(figures))
    theirs = dict(_leaves(published))
    headline = [k for k in theirs if k.count(".") <= 1 and k not in ("year", "as_of")]
    keys = [k for k in theirs if k not in ("year", "as_of")]
    table = Table(title=f"Annual report {YEAR}: figures rebuilt from events vs published",
                  caption=f"showing {len(headline)} of the {len(keys)} figures (the headline ones); all {len(keys)} are compared")
    # no_wrap: a figure's name is never cut ("…") or broken; the console is made wide enough for it
    table.add_column("figure", no_wrap=True)
    table.add_column("from events", justify="right", no_wrap=True)
    table.add_column("published", justify="right", no_wrap=True)
    table.add_column("match", justify="center")
    for key in headline:
        ok = ours.get(key) == theirs[key]
        table.add_row(key, _fmt(ours.get(key, "—")), _fmt(theirs[key]), "[green]✓" if ok else "[red]✗")
    out = Console()
    needed = Console(width=10_000).measure(table).maximum
    Console(width=max(out.width, needed)).print(table)
    matched = sum(ours.get(k) == theirs[k] for k in keys)
    detail = [k for k in keys if ours.get(k) != theirs[k]]
    if detail:
        console.print("[red]differing figures:[/red] " + ", ".join(detail[:20]))
    return matched, len(keys)


def _fmt(value: Any) -> str:
    return "null" if value is None else str(value)
