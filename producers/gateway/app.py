"""The HTTP way in: partners POST CloudEvents, each answered once the broker has it.

CloudEvents HTTP protocol binding 1.0:

- structured mode, ``Content-Type: application/cloudevents+json``: the body is one event;
  answered ``202`` (accepted: the broker has it, ``acks=all``), ``400`` (it breaks the contract:
  reason and every problem with its field path), ``403`` (its ``source`` is not the partner's
  authority) or ``503`` (the broker did not acknowledge it: send it again);
- batched mode, ``Content-Type: application/cloudevents-batch+json``: the body is a JSON array
  of events; answered ``200`` with one result per event, in order, each with the status code
  it would have had alone. Valid events of a batch are published even when others are not.

Binary mode (``ce-*`` headers) is not offered: the contract's events are JSON objects, and one
mode for one event keeps a partner's client simple.

Every request carries ``Authorization: Bearer <token>``; the token names the partner's
authority (``producers.gateway.credentials``). Request bodies are limited in size
(``CSPR_GATEWAY_MAX_BODY_BYTES``) and events per batch (``CSPR_GATEWAY_MAX_BATCH_EVENTS``);
each partner's events per second are limited (``CSPR_GATEWAY_RATE_*``, counted per gateway instance:
see ``limits``). Errors are JSON
``{"error": code, "message": one line}``.

Publishing goes through the producer SDK's ``Publisher`` (kafka-python, idempotent, ``acks=all``)
in a worker thread, so the event loop keeps serving while the broker acknowledges.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, select_autoescape
from starlette.concurrency import run_in_threadpool

from producers.gateway.credentials import Credentials, Partner
from producers.gateway.limits import RateLimiter
from producers.gateway.views import PartnerReads, PartnerViews, ViewUnavailable, WorkerViews
from schemas import EventValidationError, parse_event
from schemas.partners import binding_problem
from schemas.reasons import INVALID_JSON

STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
COOKIE = "cspr_partner"
VERSION = "1"

# --- OpenAPI: what the event routes take and answer ----------------------------------------
_ERROR = {"type": "object", "required": ["error", "message"],
          "properties": {"error": {"type": "string"}, "message": {"type": "string"}}}
_PROBLEM = {"type": "object", "required": ["path", "message"],
            "properties": {"path": {"type": "string"}, "message": {"type": "string"}}}
_RESULT = {
    "type": "object", "required": ["index", "status", "http_status"],
    "properties": {
        "index": {"type": "integer", "description": "0-based position in the request"},
        "status": {"type": "string", "enum": ["accepted", "rejected", "failed"]},
        "http_status": {"type": "integer", "enum": [202, 400, 403, 503]},
        "id": {"type": ["string", "null"]},
        "topic": {"type": "string"}, "partition": {"type": "integer"}, "offset": {"type": "integer"},
        "reason": {"type": "string"}, "detail": {"type": "string"},
        "problems": {"type": "array", "items": _PROBLEM},
    },
}
_EVENT = {"type": "object", "description": "One contract-v1 event (CloudEvents 1.0, structured JSON); "
          "the JSON Schema of each type is in schemas/json/."}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_AUTH_ERRORS = {"401": _json(_ERROR, "no token, or a token this gateway does not know"),
                "413": _json(_ERROR, "the body is larger than CSPR_GATEWAY_MAX_BODY_BYTES or the batch "
                                     "holds more than CSPR_GATEWAY_MAX_BATCH_EVENTS events"),
                "415": _json(_ERROR, "not application/cloudevents+json nor application/cloudevents-batch+json"),
                "429": _json(_ERROR, "the partner's rate limit (counted by this gateway instance): wait "
                                     "Retry-After seconds")}
EVENTS_OPENAPI: dict[str, Any] = {
    "requestBody": {"required": True, "content": {
        STRUCTURED: {"schema": _EVENT},
        BATCH: {"schema": {"type": "array", "items": _EVENT}},
    }},
    "responses": {
        "200": _json({"type": "object", "required": ["accepted", "rejected", "failed", "results"], "properties": {
            "accepted": {"type": "integer"}, "rejected": {"type": "integer"}, "failed": {"type": "integer"},
            "results": {"type": "array", "items": _RESULT}}}, "batched mode: one result per event, in order"),
        "202": _json(_RESULT, "structured mode: the broker has the event"),
        "400": _json({"oneOf": [_RESULT, _ERROR]}, "the event breaks the contract (reason, field paths), "
                                                    "or the body is not JSON"),
        "403": _json(_RESULT, "the event's source is not the partner's authority"),
        "503": _json({"oneOf": [_RESULT, _ERROR]}, "the broker did not acknowledge: send again"),
        **_AUTH_ERRORS,
    },
    "security": [{"bearer": []}],
}
_VIEW_ERRORS: dict[int | str, dict[str, Any]] = {"401": _json(_ERROR, "no token, or a token this gateway does not know"),
                "503": _json(_ERROR, "the warehouse cannot be read now")}


class _Refused(Exception):
    def __init__(self, status: int, error: str, message: str, headers: dict[str, str] | None = None):
        self.status, self.error, self.message, self.headers = status, error, message, headers or {}


@dataclass
class Gateway:
    """What the app needs: a publisher (None: accept nothing, the views only), the credentials,
    the views (the warehouse read here, or asked of the worker that owns it; None: no view),
    the limits."""

    publisher: Any
    credentials: Credentials
    views: PartnerViews | WorkerViews | None = None
    max_body_bytes: int = 8 * 1024 * 1024
    max_batch_events: int = 5000
    limiter: RateLimiter = field(default_factory=lambda: RateLimiter(5000.0, 20000))
    secure_cookies: bool = False


def create_app(gw: Gateway) -> FastAPI:
    app = FastAPI(
        title="CSPR partner gateway", version=VERSION,
        description="Publish contract-v1 events over HTTP (CloudEvents HTTP binding, structured and batched "
                    "modes), and see what became of them. Every route needs `Authorization: Bearer <token>`.",
    )
    app.state.gateway = gw
    templates = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    page = templates.from_string(resources.files("producers.gateway").joinpath("partner.html").read_text("utf-8"))

    @app.exception_handler(_Refused)
    async def _refused(_: Request, exc: _Refused) -> JSONResponse:
        return JSONResponse({"error": exc.error, "message": exc.message}, exc.status, headers=exc.headers)

    @app.exception_handler(ViewUnavailable)
    async def _no_warehouse(_: Request, exc: ViewUnavailable) -> JSONResponse:
        return JSONResponse({"error": "warehouse_unavailable", "message": str(exc)}, 503)

    def partner_of(request: Request, cookie: bool = False) -> Partner:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if not (scheme.lower() == "bearer" and token) and cookie:
            token = request.cookies.get(COOKIE, "")
        elif scheme.lower() != "bearer":
            token = ""
        partner = gw.credentials.authenticate(token.strip())
        if partner is None:
            raise _Refused(401, "unauthorised", "send 'Authorization: Bearer <token>' with the token the Panel "
                           "issued to your organisation" if not token else "this token is not known (revoked, "
                           "mistyped, or issued for another gateway)", {"WWW-Authenticate": 'Bearer realm="cspr"'})
        return partner

    def views(partner: Partner) -> PartnerViews | PartnerReads:
        if gw.views is None:
            raise ViewUnavailable("this gateway serves no partner view: it has no warehouse it may read")
        return gw.views.for_partner(partner)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/events", openapi_extra=EVENTS_OPENAPI, summary="Publish one event or a batch", response_model=None)
    async def post_events(request: Request) -> Response:
        partner = partner_of(request)
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind not in (STRUCTURED, BATCH):
            raise _Refused(415, "unsupported_media_type", f"Content-Type must be {STRUCTURED} (one event) or "
                           f"{BATCH} (a JSON array of events), got {kind or 'none'!r}")
        if gw.publisher is None:
            raise _Refused(503, "not_accepting", "this gateway serves views only: it has no broker to publish to")
        body = await _read_body(request, gw.max_body_bytes)
        items = _split(body, kind == BATCH, gw.max_batch_events)
        wait = gw.limiter.take(partner.authority, len(items))
        if wait:
            if math.isinf(wait):
                raise _Refused(413, "batch_too_large", f"{len(items)} events exceed this partner's burst limit; "
                               "send smaller batches")
            raise _Refused(429, "rate_limited", f"more than this partner's rate of events per second: wait "
                           f"{math.ceil(wait)} s", {"Retry-After": str(math.ceil(wait))})
        results = await run_in_threadpool(_publish, gw.publisher, partner.authority, items)
        if kind == STRUCTURED:
            return JSONResponse(results[0], results[0]["http_status"])
        counts = {s: sum(1 for r in results if r["status"] == s) for s in ("accepted", "rejected", "failed")}
        return JSONResponse({**counts, "results": results}, 200)

    @app.get("/partner/events", summary="What this partner sent and what became of it",
             responses=_VIEW_ERRORS)
    async def partner_events(request: Request, limit: int = 1000) -> dict[str, Any]:
        partner = partner_of(request, cookie=True)
        limit = max(1, min(limit, 10_000))
        v = views(partner)
        accepted = await run_in_threadpool(v.accepted, partner.authority, limit)
        dead = await run_in_threadpool(v.dead_letters, partner.authority, limit)
        held = await run_in_threadpool(v.held, partner.authority, limit)
        # held: None when this gateway reads the warehouse alone (held events are in the worker)
        return {"authority": partner.authority, "accepted": accepted, "dead_letters": dead, "held": held}

    @app.get("/partner/events/{event_id}", summary="What became of one event",
             responses={**_VIEW_ERRORS, "400": _json(_ERROR, "not an event id")})
    async def partner_event(request: Request, event_id: str) -> Any:
        partner = partner_of(request, cookie=True)
        try:
            return await run_in_threadpool(views(partner).event, partner.authority, event_id)
        except ValueError as exc:
            return JSONResponse({"error": "invalid_event_id", "message": str(exc)}, 400)

    @app.get("/partner/rapid-reviews", summary="This partner's rapid reviews due and overdue",
             responses=_VIEW_ERRORS)
    async def partner_reviews(request: Request, as_of: dt.date | None = None) -> Any:
        partner = partner_of(request, cookie=True)
        return await run_in_threadpool(views(partner).rapid_reviews, partner.authority, as_of or dt.datetime.now(dt.UTC).date())

    @app.get("/partner/data-quality", summary="Fields this partner's notifications most often leave empty",
             responses=_VIEW_ERRORS)
    async def partner_quality(request: Request) -> Any:
        partner = partner_of(request, cookie=True)
        return await run_in_threadpool(views(partner).data_quality, partner.authority)

    @app.get("/partner", response_class=HTMLResponse, include_in_schema=False)
    async def partner_page(request: Request, as_of: dt.date | None = None) -> Response:
        try:
            partner = partner_of(request, cookie=True)
        except _Refused:
            return HTMLResponse(page.render(partner=None, error=None), 401)
        try:
            v = views(partner)
        except ViewUnavailable as exc:
            return HTMLResponse(page.render(partner=partner, error=str(exc)), 503)
        day = as_of or dt.datetime.now(dt.UTC).date()
        try:
            data = {
                "accepted": await run_in_threadpool(v.accepted, partner.authority, 200),
                "dead_letters": await run_in_threadpool(v.dead_letters, partner.authority, 1000),
                "held": await run_in_threadpool(v.held, partner.authority, 1000),
                "reviews": await run_in_threadpool(v.rapid_reviews, partner.authority, day),
                "quality": await run_in_threadpool(v.data_quality, partner.authority),
            }
        except ViewUnavailable as exc:
            return HTMLResponse(page.render(partner=partner, error=str(exc)), 503)
        return HTMLResponse(page.render(partner=partner, error=None, **data))

    @app.post("/partner/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        form = parse_qs((await _read_body(request, 4096)).decode("utf-8", "replace"))
        token = (form.get("token") or [""])[0].strip()
        if gw.credentials.authenticate(token) is None:
            return HTMLResponse(page.render(partner=None, error="This token is not known."), 401)
        response = RedirectResponse("/partner", 303)
        response.set_cookie(COOKIE, token, httponly=True, samesite="lax", secure=gw.secure_cookies,
                            max_age=8 * 3600, path="/partner")
        return response

    @app.post("/partner/logout", include_in_schema=False)
    async def logout() -> Response:
        response = RedirectResponse("/partner", 303)
        response.delete_cookie(COOKIE, path="/partner")
        return response

    app.openapi_schema = None
    _openapi = app.openapi

    def openapi() -> dict[str, Any]:  # the bearer scheme, declared once for every route
        if app.openapi_schema is None:
            schema = _openapi()
            schema.setdefault("components", {})["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
            schema["security"] = [{"bearer": []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _Refused(413, "body_too_large", f"the body is {int(declared):,} bytes; at most {limit:,} are taken "
                       "in one request: send fewer events per batch")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _Refused(413, "body_too_large", f"the body is over {limit:,} bytes; at most {limit:,} are taken "
                           "in one request: send fewer events per batch")
        chunks.append(chunk)
    return b"".join(chunks)


def _split(body: bytes, batch: bool, max_events: int) -> list[bytes]:
    """The events of the body, each as bytes for the broker (structured: the body as sent)."""
    if not batch:
        return [body]
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise _Refused(400, INVALID_JSON, f"the body is not JSON: {exc}") from None
    if not isinstance(doc, list):
        raise _Refused(400, "not_a_batch", f"a {BATCH} body is a JSON array of events, got "
                       f"{type(doc).__name__ if doc is not None else 'null'}")
    if len(doc) > max_events:
        raise _Refused(413, "batch_too_large", f"{len(doc):,} events in one batch; at most {max_events:,}")
    out = []
    for item in doc:
        try:
            out.append(json.dumps(item, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8"))
        except (ValueError, UnicodeEncodeError):  # NaN cannot come from json.loads; lone surrogates can
            out.append(json.dumps(item, separators=(",", ":")).encode("utf-8"))
    return out


def _publish(publisher: Any, authority: str, items: list[bytes]) -> list[dict[str, Any]]:
    """Check each event and its binding, publish the good ones, one result per event in order."""
    results: list[dict[str, Any] | None] = [None] * len(items)
    send: list[bytes] = []
    where: list[int] = []
    for index, raw in enumerate(items):
        try:
            event = parse_event(raw)
        except EventValidationError as err:
            results[index] = {"index": index, "status": "rejected", "http_status": 400, "id": _id_of(raw),
                              **err.as_dict()}
            continue
        refused = binding_problem(authority, event.source)
        if refused is not None:
            results[index] = {"index": index, "status": "rejected", "http_status": 403, "id": event.id,
                              **refused.as_dict()}
            continue
        send.append(raw)
        where.append(index)
    for index, result in zip(where, publisher.publish_many(send, refs=where), strict=True):
        if result.status == "sent":
            results[index] = {"index": index, "status": "accepted", "http_status": 202, "id": result.event_id,
                              "topic": result.topic, "partition": result.partition, "offset": result.offset}
        elif result.status == "invalid":  # cannot happen: checked above with the same parser
            results[index] = {"index": index, "status": "rejected", "http_status": 400, "id": result.event_id,
                              "reason": result.reason, "problems": [{"path": p.path, "message": p.message}
                                                                   for p in result.problems]}
        else:
            results[index] = {"index": index, "status": "failed", "http_status": 503, "id": result.event_id,
                              "reason": result.reason, "detail": result.detail}
    return [r for r in results if r is not None]


def _id_of(raw: bytes) -> str | None:
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    value = doc.get("id") if isinstance(doc, dict) else None
    return value if isinstance(value, str) else None
