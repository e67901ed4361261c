"""The live overdue list, kept current by a timer (a review becomes overdue with no new event)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from streams.app import app
from streams.cases.agents import live

OVERDUE_REFRESH_S = 30.0


class OverdueList:
    def __init__(self) -> None:
        self.as_of: dt.date | None = None
        self.rows: list[dict[str, Any]] = []

    def refresh(self, today: dt.date | None = None) -> None:
        self.as_of = today or dt.date.today()
        self.rows = live.book.overdue(self.as_of)

    def snapshot(self) -> dict[str, Any]:
        if self.as_of is None:
            self.refresh()
        return {"as_of": self.as_of.isoformat() if self.as_of else None, "count": len(self.rows),
                "reviews": self.rows}


overdue_now = OverdueList()


@app.timer(interval=OVERDUE_REFRESH_S)
async def refresh_overdue() -> None:
    """Re-list the overdue reviews: the date moves on even when no event arrives."""
    overdue_now.refresh()
