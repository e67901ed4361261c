"""``/live``: the live page, served by the worker (it owns the chDB warehouse in embedded mode).

- ``/live?year=2020&quarter=3``: the dashboards' panels (``dashboards.live``, given by ``use()``) from the ``latest``
  vintage for the quarter and the year to date, the stream's live counters, a year and quarter
  picker; without a choice, the latest quarter with notifications (and the page follows it as
  new events arrive). It always says which quarter, which vintage, when it was built and the
  newest event it includes. A small inline script reads ``/live.json`` every ``REFRESH_S`` and
  fetches ``/live/panels`` when a newer vintage is built.
- ``/live.json``: the same as JSON: quarter, vintage and its age, counters, the panels' rows.
- ``/live/panels``: the panels alone (HTML), for the script.

What a viewer may see, for everyone: the panels read the national marts and the suppressed
viewer tables only (as Grafana's viewer user), the renderer suppresses small counts again, and
the counters are England's. The exact per-authority figures stay behind the analyst token of
``/figures/*``.

The panels run on the sink's ClickHouse thread (``Writer.read``), after whatever is queued there
(a build, an insert); each vintage × quarter is drawn once and kept (``_drawn``), and the build
task draws the default quarter right after each build (``schedule.after_build``), so the page
answers at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import OrderedDict
from typing import Any

from faust.web import Request, Response, View

from infra.settings import settings
from infra.warehouse import vintages
from schemas.calendar import Quarter
from streams import stats
from streams.app import app
from streams.cases.agents import live
from streams.sink.agents import sink

log = logging.getLogger(__name__)


class _Renderer:
    """What draws the panels and the page (``dashboards.live``), given by the command layer
    (``use()``), since a stage does not import another stage."""

    module: Any = None

    def __getattr__(self, name: str) -> Any:
        if self.module is None:
            raise RuntimeError("streams.live_page.use() was not called: the command layer gives the renderer")
        return getattr(self.module, name)


live_figures = _Renderer()


def use(renderer: Any) -> None:
    """Give the page its renderer (``dashboards.live``: ``periods``, ``panels``, ``describe``,
    ``age_text``, ``page``, ``fragment``), before the worker starts."""
    live_figures.module = renderer

REFRESH_S = 2.0
KEEP = 16  # vintage x quarter drawings kept

_drawn: OrderedDict[tuple[str, int, int], Any] = OrderedDict()
# The latest vintage and its quarters, as last read; kept current by ``warm`` after each build of
# the schedule, else read again when older than ``REREAD_S`` (another process may have built one).
_current: dict[str, Any] = {"vintage": None, "choices": [], "read_at": None, "warmed": False}
REREAD_S = 10.0
_asked: OrderedDict[Quarter, None] = OrderedDict()  # quarters people picked lately: drawn after each build too
ASKED_KEPT = 4


class BadPeriod(ValueError):
    pass


def chosen(request: Request) -> Quarter | None:
    """The quarter asked for (``year`` and ``quarter``, quarter 1-4, default 4 when only a year),
    or None for the default."""
    year, q = request.query.get("year"), request.query.get("quarter")
    if year is None and q is None:
        return None
    if year is None or not year.isdigit() or not 2018 <= int(year) <= 2100:
        raise BadPeriod(f"query parameter 'year' must be a year from 2018, got {year!r}")
    if q is not None and q.upper().removeprefix("Q") not in ("1", "2", "3", "4"):
        raise BadPeriod(f"query parameter 'quarter' must be 1 to 4, got {q!r}")
    return Quarter(int(year), int(q.upper().removeprefix("Q")) if q is not None else 4)


def _latest_state(client: Any, database: str) -> tuple[Any, list[Quarter], str | None]:
    """The latest vintage (None when none is readable), its quarters with notifications, and
    what is wrong if anything."""
    try:
        vintage = vintages.readable(client, database, None)
    except vintages.VintageError as exc:
        return None, [], str(exc)
    return vintage, live_figures.periods(client, vintage.database), vintage.message or None


def _draw(client: Any, database: str, vintage: Any, quarter: Quarter) -> Any:
    key = (vintage.built_at.isoformat(), quarter.year, quarter.q)
    if key not in _drawn:
        _drawn[key] = live_figures.panels(client, vintage, quarter, settings().suppression_threshold)
        while len(_drawn) > KEEP:
            _drawn.popitem(last=False)
    return _drawn[key]


def _default(choices: list[Quarter]) -> Quarter | None:
    if choices:
        return choices[-1]
    watermark = live.projection.watermark
    return Quarter(watermark.year, (watermark.month - 1) // 3 + 1) if watermark else None


def read(client: Any, database: str, asked: Quarter | None) -> dict[str, Any]:
    """Everything the page shows from the warehouse (blocking: on the ClickHouse thread)."""
    vintage, choices, problem = _latest_state(client, database)
    _current.update(vintage=vintage, choices=choices, read_at=time.monotonic())
    quarter = asked or _default(choices)
    shown = _draw(client, database, vintage, quarter) if vintage is not None and quarter is not None else None
    return {"vintage": vintage, "choices": choices, "quarter": quarter, "shown": shown, "problem": problem}


def warm(client: Any, database: str, vintage: Any) -> None:
    """After a build: draw the default quarter of the new vintage before anyone asks, then make it
    the current one (the page never waits behind the next build for what is already drawn)."""
    choices = live_figures.periods(client, vintage.database)
    _draw(client, database, vintage, _default(choices) or Quarter(vintage.as_of.year, (vintage.as_of.month - 1) // 3 + 1))
    try:
        picked = tuple(_asked)  # changed on the event loop meanwhile: those are drawn when asked
    except RuntimeError:
        picked = ()
    for quarter in picked:
        _draw(client, database, vintage, quarter)
    _current.update(vintage=vintage, choices=choices, read_at=time.monotonic(), warmed=True)


def _from_memory(asked: Quarter | None) -> dict[str, Any] | None:
    """What the page shows, without the ClickHouse thread, when it is already drawn."""
    vintage, choices, read_at = _current["vintage"], _current["choices"], _current["read_at"]
    if vintage is None or read_at is None or (not _current["warmed"] and time.monotonic() - read_at > REREAD_S):
        return None
    quarter = asked or _default(choices)
    shown = _drawn.get((vintage.built_at.isoformat(), quarter.year, quarter.q)) if quarter else None
    if shown is None:
        return None
    return {"vintage": vintage, "choices": choices, "quarter": quarter, "shown": shown, "problem": vintage.message or None}


def counters(quarter: Quarter | None, today: dt.date | None = None) -> dict[str, Any]:
    """The stream's own figures, England only (what any viewer may see), as of now."""
    book = live.book
    today = today or dt.datetime.now(dt.UTC).date()
    watermark = live.projection.watermark
    return {
        "as_of": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "year": quarter.year if quarter else None,
        "quarter": quarter.q if quarter else None,
        "notifications_in_quarter": book.notifications_between(quarter.start, quarter.end) if quarter else None,
        "notifications_year_to_date": book.notifications_between(quarter.year_start, quarter.end) if quarter else None,
        "overdue_rapid_reviews": len(book.overdue(today)),
        "events_accepted": stats.counts["accepted"],
        "dead_lettered": stats.counts["dead_lettered"],
        "latest_event_time": watermark.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if watermark else None,
        "threshold": settings().suppression_threshold,
    }


def answer(seen: dict[str, Any]) -> dict[str, Any]:
    """``/live.json``: what the page shows, as data."""
    shown, vintage, quarter = seen["shown"], seen["vintage"], seen["quarter"]
    return {
        "quarter": {"year": quarter.year, "quarter": quarter.q, "label": str(quarter)} if quarter else None,
        "vintage": None if vintage is None else {
            **live_figures.describe(vintage), "age_s": _age_s(vintage.built_at),
            "newest_event_time": shown.newest_event_time if shown else None},
        "quarters": [str(q) for q in seen["choices"]],
        "counters": counters(quarter),
        "panels": shown.values if shown else {},
        "problem": seen["problem"],
    }


def _building() -> bool:
    from streams import schedule

    return bool(schedule.state["running"])


def _age_s(built_at: dt.datetime) -> float:
    if built_at.tzinfo is None:  # the vintage catalogue's DateTime64(6, 'UTC') reads back naive
        built_at = built_at.replace(tzinfo=dt.UTC)
    return round((dt.datetime.now(dt.UTC) - built_at).total_seconds(), 1)


async def _seen(request: Request, wait: bool = False) -> dict[str, Any]:
    """What to show: from memory when drawn; else from the warehouse, unless a build holds the
    ClickHouse thread and ``wait`` is False (the page and /live.json never hang behind a build:
    they say it is being built, and the script fetches the panels when it is done)."""
    asked = chosen(request)
    if asked is not None:
        _asked[asked] = None
        _asked.move_to_end(asked)
        while len(_asked) > ASKED_KEPT:
            _asked.popitem(last=False)
    known = _from_memory(asked)
    if known is not None:
        return known
    if not wait and _building():
        choices = list(_current["choices"])
        return {"vintage": _current["vintage"], "choices": choices, "quarter": asked or _default(choices),
                "shown": None, "problem": "The figures are being built; they appear here when the build is done."}
    assert sink.writer is not None, "the worker sets the writer before it starts"
    return dict(await sink.writer.read(read, asked))


def _freshness(seen: dict[str, Any]) -> dict[str, Any]:
    vintage = seen["vintage"]
    return {"age": live_figures.age_text(vintage.built_at if vintage else None)}


class _LiveView(View):
    wait = False

    async def get(self, request: Request) -> Response:
        try:
            seen = await _seen(request, self.wait)
        except BadPeriod as exc:
            return self.json({"error": str(exc)}, status=400)
        return self.respond(seen)

    def respond(self, seen: dict[str, Any]) -> Response:  # pragma: no cover - overridden
        raise NotImplementedError

    def page(self, html: str) -> Response:
        response = self.html(html)
        response.headers["Cache-Control"] = "no-store"
        # the page's own inline script and styles only: nothing from elsewhere, no framing
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'")
        return response


@app.page("/live")
class LivePage(_LiveView):
    def respond(self, seen: dict[str, Any]) -> Response:
        return self.page(live_figures.page(quarter=seen["quarter"], choices=seen["choices"], shown=seen["shown"],
                                           freshness=_freshness(seen), counters=counters(seen["quarter"]),
                                           refresh_s=REFRESH_S, problem=seen["problem"]))


@app.page("/live/panels")
class LivePanels(_LiveView):
    wait = True  # fetched by the script once a new vintage is built

    def respond(self, seen: dict[str, Any]) -> Response:
        return self.page(live_figures.fragment(quarter=seen["quarter"], shown=seen["shown"],
                                               freshness=_freshness(seen)))


@app.page("/live.json")
class LiveJson(_LiveView):
    def respond(self, seen: dict[str, Any]) -> Response:
        return self.json(answer(seen))
