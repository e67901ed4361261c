"""Validation throughput: ``parse_event`` on JSON bytes, one core, events per second.

The figure to watch is ``incident.notified`` (the largest event; target >= 100,000/s on these
machines). Each figure is the best of several timed rounds after a warm-up, timed in this
process's CPU time: on shared cores, wall-clock time would also count the time other
processes held the core, so it would measure the neighbours rather than the code.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from schemas import EventValidationError, parse_event
from tests.fixtures.events import case_life, example

TARGET_PER_SECOND = 100_000
ROUNDS = 5
EVENTS_PER_ROUND = 40_000


def rate(work: Callable[[], object], n: int = EVENTS_PER_ROUND, rounds: int = ROUNDS) -> float:
    """Best events/s over ``rounds`` runs of ``n`` calls of ``work``."""
    for _ in range(n // 10):
        work()
    best = 0.0
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(n):
            work()
        best = max(best, n / max(time.process_time() - started, 1e-9))
    return best


def _rejecting(raw: bytes) -> Callable[[], object]:
    def work() -> object:
        try:
            return parse_event(raw)
        except EventValidationError as err:
            return err

    return work


def main() -> dict[str, float]:
    print("   one thread, CPU time of this process")
    notified = json.dumps(example("incident.notified")).encode()
    life = [json.dumps(e).encode() for e in case_life()]
    bad = json.dumps(example("incident.notified") | {"subject": "sin-1"}).encode()
    figures = {
        "incident.notified from bytes": rate(lambda: parse_event(notified)),
        "mixed case life (10 types) from bytes": rate(lambda: [parse_event(b) for b in life], n=4_000) * len(life),
        "invalid incident.notified (explained)": rate(_rejecting(bad), n=5_000),
    }
    for name, value in figures.items():
        print(f"   {name:<40} {value:>10,.0f} events/s")
    verdict = "meets" if figures["incident.notified from bytes"] >= TARGET_PER_SECOND else "BELOW"
    print(f"   incident.notified {verdict} the target of {TARGET_PER_SECOND:,}/s")
    return figures


if __name__ == "__main__":
    main()
