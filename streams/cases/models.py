"""The case states' view for one batch: read each case once, write each changed case once.

Every changed case costs one table write (a RocksDB put and a changelog message), so the case
agent works on a batch of messages against this cache and writes every changed case back once
at the end, with the case's change to the live figures (its contribution before the batch and
after) and its pending rapid review before and after.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, MutableMapping
from typing import Any

from streams.cases.history import CaseState
from streams.figures.contributions import case_as_at, contribution, diff, pending_review

CACHED_MAX = 50_000  # decoded case states kept in memory (beyond it the cache starts again)


class JsonTable(MutableMapping[str, CaseState]):
    """A table of ``subject bytes -> JSON bytes`` (the Faust ``cases`` table) seen as ``str -> CaseState``.

    Each state is serialised once per write, for the store and the changelog alike; decoded
    states are kept in memory so that a case read batch after batch is parsed once.
    """

    def __init__(self, table: MutableMapping[bytes, bytes]):
        self.table = table
        self.decoded: dict[str, CaseState] = {}  # immutable: safe to share with the projection

    def __getitem__(self, subject: str) -> CaseState:
        state: CaseState | None = self.get(subject)
        if state is None:
            raise KeyError(subject)
        return state

    def get(self, subject: str, default: Any = None) -> Any:
        state = self.decoded.get(subject)
        if state is None:
            value = self.table.get(subject.encode())
            if value is None:
                return default
            if len(self.decoded) >= CACHED_MAX:
                self.decoded.clear()
            state = self.decoded[subject] = CaseState.from_json(value)
        return state

    def __setitem__(self, subject: str, state: CaseState) -> None:
        self.table[subject.encode()] = state.to_json()
        self.decoded[subject] = state

    def __delitem__(self, subject: str) -> None:  # pragma: no cover - cases are never deleted
        raise TypeError("cases are never deleted")

    def __iter__(self) -> Iterator[str]:
        return (k.decode() for k in self.table)

    def __len__(self) -> int:
        return len(self.table)


Pending = dict[str, str] | None


class BatchCases(MutableMapping[str, CaseState]):
    """A write-back cache over the cases table that remembers each case's figures before the batch."""

    def __init__(self, table: MutableMapping[str, Any]):
        self.table = table
        self.loaded: dict[str, CaseState | None] = {}
        self.before: dict[str, tuple[Counter[str], int, Pending]] = {}

    def __getitem__(self, subject: str) -> CaseState:
        state: CaseState | None = self.get(subject)
        if state is None:
            raise KeyError(subject)
        return state

    def get(self, subject: str, default: Any = None) -> Any:
        if subject not in self.loaded:
            state = self.table.get(subject)
            self.loaded[subject] = state
            view = case_as_at(state) if state else None
            self.before[subject] = (contribution(view), state.seq if state else 0, pending_review(view))
        state = self.loaded[subject]
        return default if state is None else state

    def __setitem__(self, subject: str, state: CaseState) -> None:
        if subject not in self.loaded:
            self.get(subject)
        self.loaded[subject] = state

    def __delitem__(self, subject: str) -> None:  # pragma: no cover - cases are never deleted
        raise TypeError("cases are never deleted")

    def __iter__(self) -> Iterator[str]:
        return iter(self.table)

    def __len__(self) -> int:
        return len(self.table)

    def flush(self, touched: set[str]) -> tuple[dict[str, int], dict[str, tuple[Pending, Pending]], int, str | None]:
        """Write the touched cases to the table once each; returns their change to the live
        counters, their pending reviews (before, after) where those changed, how many more events
        their cases accepted, and the latest event time among them."""
        changes: Counter[str] = Counter()
        pending: dict[str, tuple[Pending, Pending]] = {}
        accepted = 0
        latest: str | None = None
        for subject in touched:
            state = self.loaded.get(subject)
            if state is None:
                continue
            self.table[subject] = state
            before, seq, was_pending = self.before[subject]
            view = case_as_at(state)
            changes.update(diff(before, contribution(view)))
            accepted += state.seq - seq
            now_pending = pending_review(view)
            if now_pending != was_pending:
                pending[subject] = (was_pending, now_pending)
            if state.max_time and (latest is None or state.max_time > latest):
                latest = state.max_time
        self.loaded.clear()
        self.before.clear()
        return {k: v for k, v in changes.items() if v}, pending, accepted, latest
