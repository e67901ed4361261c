"""The live figures as JSON, from the worker's web server (every view and parameter is listed at
``/``, ``streams.views.INDEX``, and in the README).

- ``/figures/notifications``: notifications by month x harm type and by year x local authority
- ``/figures/period-change?from=2020-04-01&to=2020-09-30``: against the same dates a year earlier
  (default: the year to date of the latest year with events)
- ``/figures/local-authorities?year=2020``: authorities per band of notifications
- ``/figures/timeliness?year=2020&as_of=2021-03-31``: rapid-review timeliness buckets; ``as_of``
  before the stream's watermark is answered "as known at" that date from the case table
- ``/figures/learning?year=2020``: practice themes and COVID-19 factors of the year's rapid
  reviews by quarter, and partnerships' yearly reports (contract v2; ``streams.figures.learning``)
- ``/overdue?as_of=2021-03-31``: rapid reviews past their requested completion date and not
  received, counted when asked (default today)

``year`` defaults to the year of the latest event the stream has read (never the machine's
calendar year: a history of 2020 is answered for 2020), and every answer names the year and
the date it is as known at (``as_of``) and the latest event time read (``latest_event_time``).

Two roles. A **viewer** (no credentials) gets what could be published: the authority counts
through the same disclosure control as the viewer tables (``schemas.disclosure``: 1..threshold
and whatever would let one be worked out show as 'c'), the bands of those published figures
('0', 'c', '3-6', '7+'), and of the overdue reviews only how many there are. An **analyst** (the
request carries ``Authorization: Bearer <CSPR_ANALYST_TOKEN>``) gets the exact counts, the exact
bands and the overdue cases. Without ``CSPR_ANALYST_TOKEN`` set there is no analyst view.
"""

from __future__ import annotations

import datetime as dt
import functools
import hmac
from collections import defaultdict
from typing import Any

from faust.web import Request, Response, View

from infra.settings import settings
from schemas.disclosure import band_of, bands, shown, suppress_areas
from schemas.local_authorities import LOCAL_AUTHORITIES
from streams.app import app
from streams.cases.agents import case_states, live
from streams.figures.book import FigureBook
from streams.figures.learning import learning_figures, suppressed_learning


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


def latest_year() -> int:
    """The year of the latest event the stream has read; the calendar year before any."""
    watermark = live.projection.watermark
    return watermark.year if watermark is not None else dt.datetime.now(dt.UTC).year


def _year(request: Request) -> int:
    text = request.query.get("year", str(latest_year()))
    if not text.isdigit() or not 1900 <= int(text) <= 2100:
        raise BadQuery(f"query parameter 'year' must be a year, got {text!r}")
    return int(text)


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def named(answer: dict[str, Any], *, as_of: dt.date, year: int | None = None) -> dict[str, Any]:
    """An answer with what it is of: its year (if it has one), the date it is as known at, and
    the latest event time the stream has read."""
    watermark = live.projection.watermark
    head: dict[str, Any] = {} if year is None else {"year": year}
    # in UTC: the same instant reads the same after a restart (the watermark is then rebuilt from
    # the case states, which keep each event's own offset)
    head.update(as_of=as_of.isoformat(),
                latest_event_time=watermark.astimezone(dt.UTC).isoformat() if watermark else None)
    return {**head, **answer}


def is_analyst(request: Request) -> bool:
    """Whether the request carries the analyst token (compared in constant time)."""
    token = settings().analyst_token
    given = request.headers.get("Authorization", "")
    if token is None or not given.startswith("Bearer "):
        return False
    return hmac.compare_digest(given.removeprefix("Bearer ").encode(), token.get_secret_value().encode())


_by_year: dict[int, tuple[Any, dict[tuple[int, str], str]]] = {}  # year -> (its counts, its answer)


def suppressed_years(counts: dict[tuple[int, int, str], int], threshold: int) -> dict[tuple[int, str], str]:
    """Each authority's year as a viewer sees it ({(year, authority): 'c' or digits}): the same
    function on the same cells (authority, region, England by quarter and year) as the published
    viewer tables, so a live figure is suppressed as the published one of the same events.
    Years share no total, so a year is solved again only when its own counts changed (linear
    programmes: a second or more a year); the views run this off the event loop, on a copy of
    the counts (``FigureBook.notifications_by_quarter``) taken on it."""
    regions = {la.code: la.region_code for la in LOCAL_AUTHORITIES}
    out: dict[tuple[int, str], str] = {}
    for year in sorted({y for y, _, _ in counts}):
        mine = {k: n for k, n in counts.items() if k[0] == year}
        key = (threshold, frozenset(mine.items()))
        if year not in _by_year or _by_year[year][0] != key:
            cells, _ = suppress_areas(mine, regions, threshold)
            _by_year[year] = (key, {(y, code): shown(n, hidden) for (y, period, level, code), (n, hidden)
                                    in cells.items() if level == "la" and period == "year"})
        out.update(_by_year[year][1])
    return out


def suppressed_notifications(figures: dict[str, Any], counts: dict[tuple[int, int, str], int],
                             threshold: int) -> dict[str, Any]:
    """``FigureBook.notifications()`` as a viewer sees it: authority counts suppressed, and a
    year too sparse to protect without its authorities."""
    years = suppressed_years(counts, threshold)
    by_la: dict[str, dict[str, str]] = defaultdict(dict)
    for y, per_la in figures["by_local_authority"].items():
        for la in per_la:  # the same authorities as the exact view (those with a notification)
            if (int(y), la) in years:
                by_la[y][la] = years[(int(y), la)]
    return {"by_month": figures["by_month"], "by_local_authority": dict(by_la)}


def suppressed_bands(counts: dict[tuple[int, int, str], int], year: int, threshold: int) -> dict[str, int]:
    """How many authorities fall in each band of their *published* figure in ``year``."""
    years = suppressed_years(counts, threshold)
    if not any(y == year for y, _ in years) and any(y == year for y, _, _ in counts):
        return {}  # a year too sparse to protect has no authority figures, so no bands either
    out = dict.fromkeys(bands(threshold), 0)
    for la in LOCAL_AUTHORITIES:
        out[band_of(years.get((year, la.code), "0"), threshold)] += 1
    return out


def _book_as_of(as_of: dt.date) -> FigureBook:
    """The live book, or one rebuilt as known at the end of ``as_of`` when events after it exist."""
    end = dt.datetime.combine(as_of, dt.time.max, tzinfo=dt.UTC)
    watermark = live.projection.watermark
    if watermark is None or watermark <= end:
        return live.book
    return FigureBook.from_cases(case_states(), as_at=end)


def _then(compute: Any, then: Any, **kwargs: Any) -> Any:
    """``compute`` (run off the loop), then ``then(result, **kwargs)`` on its result."""
    return lambda: then(compute(), **kwargs)


class _FigureView(View):
    async def get(self, request: Request) -> Response:
        import asyncio

        try:
            answer = self.answer(request)
            if callable(answer):  # disclosure control solves linear programmes: not on the loop
                answer = await asyncio.get_running_loop().run_in_executor(None, answer)
            return self.json(answer)
        except BadQuery as exc:
            return self.json({"error": str(exc)}, status=400)

    def answer(self, request: Request) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError


@app.page("/figures/notifications")
class NotificationsView(_FigureView):
    def answer(self, request: Request) -> Any:
        if is_analyst(request):
            return named(live.book.notifications(), as_of=_today())
        # copies taken here, on the loop; the suppression runs on them in a thread
        return _then(functools.partial(suppressed_notifications, live.book.notifications(),
                                       live.book.notifications_by_quarter(), settings().suppression_threshold),
                     named, as_of=_today())


@app.page("/figures/period-change")
class PeriodChangeView(_FigureView):
    def answer(self, request: Request) -> Any:
        year = latest_year()
        start = _date(request, "from", dt.date(year, 1, 1))
        end = _date(request, "to", min(_today(), dt.date(year, 12, 31)) if "from" not in request.query else None)
        if end < start:
            raise BadQuery(f"'to' ({end}) is before 'from' ({start})")
        return named(live.book.period_change(start, end), as_of=_today())


@app.page("/figures/local-authorities")
class LocalAuthoritiesView(_FigureView):
    def answer(self, request: Request) -> Any:
        year = _year(request)
        if is_analyst(request):
            return named({"bands": live.book.local_authority_bands(year)}, year=year, as_of=_today())
        return _then(functools.partial(suppressed_bands, live.book.notifications_by_quarter(), year,
                                       settings().suppression_threshold),
                     lambda bands, **kw: named({"bands": bands}, **kw), year=year, as_of=_today())


@app.page("/figures/timeliness")
class TimelinessView(_FigureView):
    def answer(self, request: Request) -> Any:
        as_of, year = _date(request, "as_of", _today()), _year(request)
        return named({"timeliness": _book_as_of(as_of).timeliness(year, as_of)}, year=year, as_of=as_of)


@app.page("/figures/learning")
class LearningView(_FigureView):
    def answer(self, request: Request) -> Any:
        # the states are walked off the loop too (a pass over every case), on a list taken here
        year = _year(request)
        figures = functools.partial(learning_figures, case_states(), year)
        if is_analyst(request):
            return _then(figures, named, year=year, as_of=_today())
        threshold = settings().suppression_threshold
        return _then(lambda: suppressed_learning(figures(), threshold), named, year=year, as_of=_today())


@app.page("/overdue")
class OverdueView(_FigureView):
    def answer(self, request: Request) -> Any:
        # counted now, from the live book (a snapshot taken on a timer said 0 while /status was idle)
        as_of = _date(request, "as_of", _today())
        reviews = live.book.overdue(as_of)
        answer: dict[str, Any] = {"count": len(reviews)}
        if is_analyst(request):  # the cases are case-level: analysts only
            answer["reviews"] = reviews
        return named(answer, as_of=as_of)
