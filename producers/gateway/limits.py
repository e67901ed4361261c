"""Per-partner rate limits: a token bucket of events per authority, in this gateway process.

Counted in events, not requests: one batched request of 1,000 events costs 1,000. A request
that would overdraw the bucket is refused whole (HTTP 429 with ``Retry-After``), so a partner
never has to work out which half of a batch was taken. Each gateway instance keeps its own
buckets: with N instances behind a balancer a partner may send up to N times the rate.
"""

from __future__ import annotations

import math
import threading
import time


class RateLimiter:
    def __init__(self, rate_per_s: float, burst: int):
        self.rate = float(rate_per_s)
        self.burst = float(burst)
        self._buckets: dict[str, tuple[float, float]] = {}  # authority -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, authority: str, n: int) -> float:
        """0 when ``n`` events may go now (and takes them); else the seconds to wait first."""
        now = time.monotonic()
        with self._lock:
            tokens, at = self._buckets.get(authority, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            if n <= tokens:
                self._buckets[authority] = (tokens - n, now)
                return 0.0
            self._buckets[authority] = (tokens, now)
            if n > self.burst:
                return math.inf
            return (n - tokens) / self.rate
