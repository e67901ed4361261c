"""Each partner's own view, read by the worker that owns the warehouse (``safeguarding up``).

chDB is in-process and one process owns its folder: under ``up`` that is the worker, so the
gateway (a thread of the ``up`` process) cannot open the warehouse. It asks the worker instead,
on loopback, forwarding the partner's own token. This route checks that token against the same
token file as the gateway (``--partner-views FILE``, re-read when it changes) and reads only
the authority the token is bound to, with the gateway's own queries
(``producers.gateway.views.PartnerViews``, what a production gateway runs on its ClickHouse
server). So a request without a partner's token reads nothing, and a token reads only its own
authority's events, dead letters, rapid reviews and data quality: the authority is never a
parameter.

``GET /partner-views/{view}`` with ``Authorization: Bearer <partner token>``, where view is
``accepted``, ``dead-letters`` or ``held`` (``?limit=``), ``event`` (``?id=``), ``rapid-reviews``
(``?as_of=YYYY-MM-DD``) or ``data-quality``; answered ``{"authority": ..., "answer": ...}``,
or ``{"error", "message"}`` with 400, 401, 404 or 503.

Held events (waiting for their case's notification) are in this worker's case table, not in the
warehouse: ``held`` lists the partner's from there, and ``event`` names an id held rather than
"not stored".

The reads run on the sink's ClickHouse thread (every chDB call of the process stays on that one
thread, in order), so a read waits while a scheduled dbt build runs.

The gateway's views and credentials (``producers.gateway``: one definition of what a partner may
see, on both ways of reading the warehouse) are given by the command layer (``use()``;
``infra.stack.worker_views.backend``), since a stage does not import another stage; what it
must give is typed here (``Backend``), so mypy checks the command layer's against it.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from infra.settings import Settings
from streams.cases.history import CaseState

LIMIT_MAX = 10_000


class PartnerIdentity(Protocol):
    """Who a token belongs to (``producers.gateway.credentials.Partner``)."""

    @property
    def authority(self) -> str: ...


class TokenChecker(Protocol):
    """The partners' token file (``producers.gateway.credentials.Credentials``)."""

    def authenticate(self, token: str | None) -> PartnerIdentity | None: ...


class ViewReader(Protocol):
    """One authority's reads of the warehouse (``producers.gateway.views.PartnerViews``)."""

    def accepted(self, authority: str, limit: int = ...) -> list[dict[str, Any]]: ...

    def dead_letters(self, authority: str, limit: int = ...) -> list[dict[str, Any]]: ...

    def event(self, authority: str, event_id: str) -> dict[str, Any]: ...

    def rapid_reviews(self, authority: str, as_of: dt.date) -> dict[str, Any]: ...

    def data_quality(self, authority: str) -> dict[str, Any]: ...


class Backend(Protocol):
    """(settings, token file, data dir, database) -> (credentials, views, the error the views raise
    when the warehouse cannot be read): ``infra.stack.worker_views.backend``."""

    def __call__(self, conf: Settings, tokens: Path, data_dir: Path | None, database: str | None,
                 /) -> tuple[TokenChecker, ViewReader, type[Exception]]: ...


_backend: list[Backend] = []


def use(backend: Backend) -> None:
    """Set what reads the partners' tokens and views (the command layer's; before ``enable``)."""
    _backend[:] = [backend]


def held_of(states: Iterable[CaseState], authority: str, limit: int,
            event_id: str | None = None) -> list[dict[str, Any]]:
    """The authority's events held in these case states, oldest event time first."""
    out = []
    for state in states:
        for held in state.held:
            time_text, raw = held.time, held.raw
            source, _, eid = held.key.partition(" ")
            if source != authority or (event_id is not None and eid != event_id.lower()):
                continue
            try:
                doc = json.loads(raw)
            except ValueError:
                doc = {}
            out.append({"id": eid, "status": "held", "type": doc.get("type"), "subject": state.subject,
                        "time": doc.get("time", time_text), "means": "waiting for its case's notification",
                        "_at": time_text})
    out.sort(key=lambda h: (h["_at"], h["id"]))
    return [{k: v for k, v in h.items() if k != "_at"} for h in out[:limit]]


def _limit(query: Any) -> int:
    text = query.get("limit", "1000")
    if not text.isdigit():
        raise ValueError(f"limit must be a whole number, got {text!r}")
    return max(1, min(int(text), LIMIT_MAX))


def enable(conf: Settings, tokens: Path, data_dir: Path | None, database: str | None) -> None:
    """Attach ``/partner-views/{view}`` to the app (before it starts)."""
    from faust.web import Request, Response, View

    from streams.app import app
    from streams.cases.agents import case_states
    from streams.sink.agents import sink

    if not _backend:
        raise RuntimeError("streams.partner_views.use() was not called: the command layer gives the views")
    # a missing or malformed token file stops the worker here, naming it
    credentials, views, ViewUnavailable = _backend[0](conf, tokens, data_dir, database)

    def read(view: str, authority: str, query: Any) -> Any:
        """The blocking read for this view and its query parameters (ValueError: a bad parameter)."""
        if view in ("accepted", "dead-letters"):
            fn = views.accepted if view == "accepted" else views.dead_letters
            return functools.partial(fn, authority, _limit(query))
        if view == "event":
            return functools.partial(views.event, authority, query.get("id", ""))
        if view == "rapid-reviews":
            text = query.get("as_of") or dt.datetime.now(dt.UTC).date().isoformat()
            try:
                as_of = dt.date.fromisoformat(text)
            except ValueError:
                raise ValueError(f"as_of must be a date YYYY-MM-DD, got {text!r}") from None
            return functools.partial(views.rapid_reviews, authority, as_of)
        if view == "data-quality":
            return functools.partial(views.data_quality, authority)
        return None

    @app.page("/partner-views/{view}")
    class PartnerViewsView(View):
        async def get(self, request: Request, view: str) -> Response:
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            partner = credentials.authenticate(token.strip()) if scheme.lower() == "bearer" else None
            if partner is None:
                return self.json({"error": "unauthorised", "message": "send a partner's token: "
                                  "'Authorization: Bearer <token>'"}, status=401)
            try:
                if view == "held":  # the case table, read on the event loop like /status
                    return self.json({"authority": partner.authority,
                                      "answer": held_of(case_states(), partner.authority, _limit(request.query))})
                call = read(view, partner.authority, request.query)
            except ValueError as exc:
                return self.json({"error": "invalid_query", "message": str(exc)}, status=400)
            if call is None:
                return self.json({"error": "not_found", "message": f"no partner view {view!r}"}, status=404)
            assert sink.writer is not None, "the worker sets the writer before it starts"
            try:
                answer = await sink.writer.read(lambda _client, _database: call())
            except ValueError as exc:  # an event id that is not one
                return self.json({"error": "invalid_query", "message": str(exc)}, status=400)
            except ViewUnavailable as exc:
                return self.json({"error": "warehouse_unavailable", "message": str(exc)}, status=503)
            except Exception as exc:  # the store could not be opened: one line, not a traceback
                first = str(exc).splitlines()[0][:200] if str(exc) else ""
                return self.json({"error": "warehouse_unavailable", "message": "the warehouse cannot be read "
                                  f"now ({type(exc).__name__}: {first})"}, status=503)
            if view == "event" and answer.get("status") == "not_stored":
                held = held_of(case_states(), partner.authority, 1, answer["id"])
                answer = held[0] if held else {**answer, "means": "not in the raw store, not dead-lettered and not "
                                               "held: still in the stream, or never received"}
            return self.json({"authority": partner.authority, "answer": answer})
