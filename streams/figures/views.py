"""The live figures as JSON, from the worker's web server.

- ``/figures/notifications``: notifications by month x harm type and by year x local authority
- ``/figures/period-change?from=2020-04-01&to=2020-09-30``: against the same dates a year earlier
- ``/figures/local-authorities?year=2020``: authorities per band of notifications
- ``/figures/timeliness?year=2020&as_of=2021-03-31``: rapid-review timeliness buckets; ``as_of``
  before the stream's watermark is answered "as known at" that date from the case table
- ``/overdue``: rapid reviews past their requested completion date and not received
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from faust.web import Request, Response, View

from streams.app import app
from streams.cases.agents import case_states, live
from streams.figures.agents import overdue_now
from streams.figures.book import FigureBook


class BadQuery(ValueError):
    pass


def _date(request: Request, name: str, default: dt.date | None = None) -> dt.date:
    text = request.query.get(name)
    if text is None:
        if default is None:
            raise BadQuery(f"query parameter {name!r} is required (YYYY-MM-DD)")
        return default
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadQuery(f"query parameter {name!r} must be a date YYYY-MM-DD, got {text!r}") from None


def _year(request: Request) -> int:
    text = request.query.get("year", str(dt.date.today().year))
    if not text.isdigit():
        raise BadQuery(f"query parameter 'year' must be a year, got {text!r}")
    return int(text)


def _book_as_of(as_of: dt.date) -> FigureBook:
    """The live book, or one rebuilt as known at the end of ``as_of`` when events after it exist."""
    end = dt.datetime.combine(as_of, dt.time.max, tzinfo=dt.UTC)
    watermark = live.projection.watermark
    if watermark is None or watermark <= end:
        return live.book
    return FigureBook.from_cases(case_states(), as_at=end)


class _FigureView(View):
    async def get(self, request: Request) -> Response:
        try:
            return self.json(self.answer(request))
        except BadQuery as exc:
            return self.json({"error": str(exc)}, status=400)

    def answer(self, request: Request) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError


@app.page("/figures/notifications")
class NotificationsView(_FigureView):
    def answer(self, request: Request) -> Any:
        return live.book.notifications()


@app.page("/figures/period-change")
class PeriodChangeView(_FigureView):
    def answer(self, request: Request) -> Any:
        start, end = _date(request, "from"), _date(request, "to")
        if end < start:
            raise BadQuery(f"'to' ({end}) is before 'from' ({start})")
        return live.book.period_change(start, end)


@app.page("/figures/local-authorities")
class LocalAuthoritiesView(_FigureView):
    def answer(self, request: Request) -> Any:
        return live.book.local_authority_bands(_year(request))


@app.page("/figures/timeliness")
class TimelinessView(_FigureView):
    def answer(self, request: Request) -> Any:
        as_of = _date(request, "as_of", dt.date.today())
        return _book_as_of(as_of).timeliness(_year(request), as_of)


@app.page("/overdue")
class OverdueView(_FigureView):
    def answer(self, request: Request) -> Any:
        return overdue_now.snapshot()
