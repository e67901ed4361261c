"""``HttpPublisher``: the SDK's HTTP transport, beside Kafka, for partners that reach the platform
through its gateway (CloudEvents HTTP binding, batched mode).

The same use cases and results as :class:`producers.publishing.Publisher`: each event is checked
against contract v1 first (an invalid one is not sent), the valid ones go in batches, and each
result says ``sent`` only once the gateway answered that the broker has it. An event the gateway
refuses comes back ``invalid`` with the gateway's reason and field paths (``source_not_authorised``
when its ``source`` is not the token's authority); one it could not deliver comes back ``failed``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import Any

from producers.publishing.publisher import DeliveryResult, PublisherConfigError, PublishError, prepare
from schemas.errors import Problem, ServiceUnavailable

log = logging.getLogger(__name__)

BATCH_CONTENT_TYPE = "application/cloudevents-batch+json"
BATCH_EVENTS = 1000
BATCH_BYTES = 4 * 1024 * 1024   # below the gateway's default body limit (8 MiB)
RETRIES = 5                     # for 429, 502-504 and broken connections, with back-off


class GatewayUnavailable(PublishError, ServiceUnavailable):
    """The gateway could not be reached (or kept failing); what was not answered was not sent."""


class GatewayRefused(PublishError):
    """The gateway refused the request as a whole (an unknown token, a body too large)."""


class HttpPublisher:
    """Publishes contract-v1 events through the gateway at ``url`` with a partner's ``token``."""

    def __init__(self, url: str, token: str | None, *, batch_events: int = BATCH_EVENTS,
                 timeout_s: float = 60.0) -> None:
        import requests

        if not url.startswith(("http://", "https://")):
            raise PublisherConfigError(f"the gateway URL must start with https:// (or http:// on loopback), got {url!r}")
        if not token:
            raise PublisherConfigError("publishing over HTTP needs the partner's token: set CSPR_PARTNER_TOKEN")
        self.url = url.rstrip("/") + "/events"
        self.batch_events = batch_events
        self.timeout_s = timeout_s
        self.topic = self.url
        self._session = requests.Session()
        self._session.headers.update({"Authorization": f"Bearer {token}", "Content-Type": BATCH_CONTENT_TYPE})

    # --- use cases (as Publisher's) ----------------------------------------------------------
    def publish(self, raw: bytes | str | dict[str, Any], ref: Any = None) -> DeliveryResult:
        return next(self.publish_many([raw], refs=[ref]))

    def publish_many(self, events: Iterable[bytes | str | dict[str, Any]],
                     refs: Iterable[Any] | None = None) -> Iterator[DeliveryResult]:
        """Validate every event, send the valid ones in batches; one result per event, in order."""
        ref_iter = iter(refs) if refs is not None else None
        pending: list[tuple[Any, Any, bytes] | DeliveryResult] = []  # in input order
        batch_bytes = batch_count = 0
        for index, raw in enumerate(events):
            ref = next(ref_iter, None) if ref_iter is not None else index + 1
            outcome = prepare(raw, ref)
            if isinstance(outcome, DeliveryResult):
                pending.append(outcome)
                continue
            event, payload = outcome
            if batch_count and (batch_count >= self.batch_events or batch_bytes + len(payload) > BATCH_BYTES):
                yield from self._send(pending)
                pending, batch_bytes, batch_count = [], 0, 0
            pending.append((ref, event, payload))
            batch_bytes += len(payload) + 1
            batch_count += 1
        yield from self._send(pending)

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> HttpPublisher:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # --- internals ---------------------------------------------------------------------------
    def _send(self, pending: list[tuple[Any, Any, bytes] | DeliveryResult]) -> Iterator[DeliveryResult]:
        items = [p for p in pending if not isinstance(p, DeliveryResult)]
        answers = iter(self._post([payload for _, _, payload in items]) if items else [])
        for p in pending:
            if isinstance(p, DeliveryResult):
                yield p
                continue
            ref, event, _ = p
            yield _result(next(answers), ref, event)

    def _post(self, payloads: list[bytes]) -> list[dict[str, Any]]:
        import requests

        body = b"[" + b",".join(payloads) + b"]"
        delay = 0.5
        for attempt in range(RETRIES + 1):
            try:
                resp = self._session.post(self.url, data=body, timeout=self.timeout_s)
            except requests.RequestException as exc:
                if attempt == RETRIES:
                    raise GatewayUnavailable(f"the gateway at {self.url} could not be reached ({type(exc).__name__}: "
                                             f"{exc}); events not answered were not sent") from exc
                time.sleep(delay)
                delay *= 2
                continue
            if resp.status_code == 200:
                results = resp.json()["results"]
                if len(results) != len(payloads):
                    raise PublishError(f"the gateway answered {len(results)} results for {len(payloads)} events")
                return list(results)
            error = _error_of(resp)
            if resp.status_code in (429, 502, 503, 504) and attempt < RETRIES:
                wait = float(resp.headers.get("Retry-After", delay)) if resp.status_code == 429 else delay
                log.info("gateway answered %s (%s); retrying in %.1f s", resp.status_code, error, wait)
                time.sleep(wait)
                delay *= 2
                continue
            if resp.status_code in (401, 403):
                raise GatewayRefused(f"the gateway refused the token ({resp.status_code}: {error}); check CSPR_PARTNER_TOKEN")
            if resp.status_code >= 500:
                raise GatewayUnavailable(f"the gateway at {self.url} answered {resp.status_code}: {error}")
            raise GatewayRefused(f"the gateway refused the request ({resp.status_code}: {error})")
        raise GatewayUnavailable(f"the gateway at {self.url} kept failing")  # pragma: no cover


def _error_of(resp: Any) -> str:
    try:
        body = resp.json()
        return str(body.get("message") or body)
    except ValueError:
        return str(resp.text)[:200]


def _result(answer: dict[str, Any], ref: Any, event: Any) -> DeliveryResult:
    status = answer.get("status")
    if status == "accepted":
        return DeliveryResult("sent", ref, event.id, event.source, event.subject, answer.get("topic"),
                              answer.get("partition"), answer.get("offset"))
    if status == "rejected":
        problems = tuple(Problem(p["path"], p["message"]) for p in answer.get("problems", []))
        return DeliveryResult("invalid", ref, event.id, event.source, event.subject, reason=answer.get("reason"),
                              problems=problems)
    return DeliveryResult("failed", ref, event.id, event.source, event.subject, reason=answer.get("reason", "failed"),
                          detail=answer.get("detail") or json.dumps(answer))
