"""The event simulator: the calibrated 2020 history and random histories of any size.

    from producers.simulator import report_2020, random_history
    lines = report_2020(seed=1)                       # list of bytes, arrival order
    for line in random_history(10_000, seed=7, duplicate_rate=0.01): ...
    lines = report_2020(seed=1, contract="v2")        # the same history, learning in contract v2
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from producers.simulator.random_scenario import SimulatorOptionsError
from producers.simulator.report_2020 import build as _build_report_2020


def report_2020(seed: int = 0, contract: str = "v1") -> list[bytes]:
    """The calibrated history 2018 - 2021-03-31 (JSON Lines, arrival order) for a seed.

    ``contract="v2"``: the same history with reviews, decisions, feedback and reports as v2 and
    the safeguarding partnerships' events merged in (``producers.simulator.learning``)."""
    lines = _build_report_2020(seed)
    if _contract(contract) == "v1":
        return lines
    from producers.simulator import learning
    from producers.simulator.report_2020 import AS_OF, learning_targets

    partnerships = learning.calibrated_partnerships(seed, learning_targets(), AS_OF)
    return list(learning.merge(learning.upgrade(lines, seed), partnerships))


def random_history(cases: int, seed: int = 0, contract: str = "v1", **options: Any) -> Iterator[bytes]:
    """A random history of ``cases`` cases; options as ``RandomOptions`` (rates, years)."""
    from producers.simulator.random_scenario import RandomOptions, generate

    opts = RandomOptions(cases=cases, seed=seed, **options)
    lines = generate(opts)
    if _contract(contract) == "v1":
        return lines
    from producers.simulator import learning

    last_day = dt.date(opts.start_year + opts.years - 1, 12, 31)
    partnerships = learning.random_partnerships(seed, opts.start_year, last_day)
    return learning.merge(learning.upgrade(lines, seed), partnerships)


def _contract(contract: str) -> str:
    if contract not in ("v1", "v2"):
        raise SimulatorOptionsError(f"--contract must be v1 or v2, got {contract!r}")
    return contract


def write_lines(lines: Iterable[bytes], out: str | Path) -> int:
    """Write lines to a file atomically (a temporary file renamed at the end); returns the count."""
    path = Path(out)
    tmp = path.with_name(f".{path.name}.partial")
    count = 0
    try:
        with tmp.open("wb") as fh:
            for line in lines:
                fh.write(line)
                fh.write(b"\n")
                count += 1
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return count


def write_report_2020(out: str | Path, seed: int = 0, contract: str = "v1") -> int:
    return write_lines(report_2020(seed, contract), out)


def write_random_history(out: str | Path, cases: int, seed: int = 0, contract: str = "v1", **options: Any) -> int:
    return write_lines(random_history(cases, seed, contract, **options), out)


__all__ = ["random_history", "report_2020", "write_lines", "write_random_history", "write_report_2020"]
