"""What the worker has done since it started, for ``/status`` and ``safeguarding run``."""

from __future__ import annotations

import time
from collections import Counter

counts: Counter[str] = Counter()
rejected_by_reason: Counter[str] = Counter()
waiting: dict[str, str] = {}  # service -> what the worker waits for (shown on /status while it lasts)
last_activity = time.monotonic()


def count(name: str, n: int = 1) -> None:
    global last_activity
    counts[name] += n
    last_activity = time.monotonic()


def reset() -> None:
    counts.clear()
    rejected_by_reason.clear()
    waiting.clear()
