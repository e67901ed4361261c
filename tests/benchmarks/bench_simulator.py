"""Simulator and oracle throughput: events/s of random histories, of the calibrated history,
and of the reference calculator (replay of the history rules, and replay + all figures)."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time

from producers.reference import compute_figures, replay
from producers.simulator import random_history, report_2020, write_random_history


class _Clock:
    """Wall and CPU time: on a shared machine the CPU figure is the simulator's own speed."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def report(self, label: str, count: int) -> None:
        wall, cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu
        print(f"  {label:<46} {count:>9,} events  {wall:6.2f} s  {count / wall:>9,.0f} events/s "
              f"(CPU {count / max(cpu, 1e-9):>9,.0f} events/s)", flush=True)


def main() -> None:
    cases = int(os.environ.get("BENCH_SIMULATOR_CASES", "50000"))
    clock = _Clock()
    count = sum(1 for _ in random_history(cases, seed=1))
    clock.report(f"random history, {cases:,} cases (generate)", count)

    with tempfile.TemporaryDirectory() as tmp:
        clock = _Clock()
        count = write_random_history(os.path.join(tmp, "random.jsonl"), cases, seed=2)
        clock.report(f"random history, {cases:,} cases (write file)", count)

    clock = _Clock()
    lines = report_2020(seed=1)
    clock.report("report-2020 calibrated history", len(lines))

    sample = list(random_history(min(cases, 20000), seed=3))
    clock = _Clock()
    replay(sample)
    clock.report("oracle: replay (history rules)", len(sample))
    clock = _Clock()
    compute_figures(sample, 2020, dt.date(2021, 3, 31))
    clock.report("oracle: replay + every figure", len(sample))


if __name__ == "__main__":
    main()
