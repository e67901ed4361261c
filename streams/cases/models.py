"""The case states' view for one batch: read each case once, write each changed case once.

Every changed case costs one changelog message, so the case stage works on a batch of messages
against this cache and writes every changed case back once at the end (and sends it to the
changelog once), with the case's contribution to the live figures before and after.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, MutableMapping
from typing import Any

from streams.figures.book import FigureBook
from streams.figures.contributions import case_as_at, contribution, diff, pending_review


class BatchCases(MutableMapping[str, dict[str, Any]]):
    """A write-back cache over the cases table that remembers each case's figures before the batch."""

    def __init__(self, table: MutableMapping[str, Any]):
        self.table = table
        self.loaded: dict[str, dict[str, Any] | None] = {}
        self.before: dict[str, Counter[str]] = {}

    def __getitem__(self, subject: str) -> dict[str, Any]:
        state = self.get(subject)
        if state is None:
            raise KeyError(subject)
        return state

    def get(self, subject: str, default: Any = None) -> Any:
        if subject not in self.loaded:
            state = self.table.get(subject)
            self.loaded[subject] = state
            self.before[subject] = contribution(case_as_at(state)) if state else Counter()
        state = self.loaded[subject]
        return default if state is None else state

    def __setitem__(self, subject: str, state: dict[str, Any]) -> None:
        if subject not in self.loaded:
            self.get(subject)
        self.loaded[subject] = state

    def __delitem__(self, subject: str) -> None:  # pragma: no cover - cases are never deleted
        raise TypeError("cases are never deleted")

    def __iter__(self) -> Iterator[str]:
        return iter(self.table)

    def __len__(self) -> int:
        return len(self.table)

    def flush(self, touched: set[str], book: FigureBook) -> int:
        """Write the touched cases to the table and their figure changes to the book."""
        for subject in touched:
            state = self.loaded[subject]
            if state is None:
                continue
            self.table[subject] = state
            view = case_as_at(state)
            book.apply(diff(self.before[subject], contribution(view)))
            book.set_pending(subject, pending_review(view))
        self.loaded.clear()
        self.before.clear()
        return len(touched)
