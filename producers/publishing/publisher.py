"""``Publisher``: validate each event against contract v1, then publish it, idempotently, to Kafka.

- Every event is checked with ``schemas.parse_event`` first; an invalid one is *not sent* and
  comes back as an invalid :class:`DeliveryResult` with the reason and the field paths.
- A valid event is sent exactly as given (its original bytes, its own ``id``), keyed by its
  ``subject`` so all events of one case land on one partition, in order.
- The producer is kafka-python's with ``acks="all"`` and ``enable_idempotence=True``: a retry
  inside one producer session never writes a message twice.
- Publishing the same file twice *does* write every message twice to Kafka (a new producer
  session cannot know what an earlier one sent). That is safe by design: the platform
  de-duplicates downstream by ``(source, id)`` (contract v1: a second event with the same
  ``(source, id)`` changes nothing), so a partner may always re-run an export.

Errors are this module's own, under :class:`PublishError`, raised ``from`` the Kafka error.
"""

from __future__ import annotations

import collections
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

from schemas import MAX_MESSAGE_BYTES, EventValidationError, parse_event
from schemas.errors import CsprError, Problem, ServiceUnavailable

if TYPE_CHECKING:
    from infra.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_TOPIC = "cspr.events.inbound"
# Requests may carry a batch of events; one event is at most 256 KiB (contract v1).
MAX_REQUEST_BYTES = 1024 * 1024
# Sends in flight before publish_many() waits for the oldest: bounds memory on huge files.
WINDOW = 20_000


# --- errors -------------------------------------------------------------------------------
class PublishError(CsprError):
    """Base of every error the publishing SDK raises."""


class PublisherConfigError(PublishError):
    """The publisher was configured in a way that cannot work (no broker address, unknown codec)."""


class BrokerUnavailable(PublishError, ServiceUnavailable):
    """No broker answered within the bounded wait; nothing was sent."""


class InvalidEvent(PublishError):
    """An event broke contract v1 and was not sent."""

    def __init__(self, message: str, reason: str, problems: tuple[Problem, ...]) -> None:
        super().__init__(message)
        self.reason = reason
        self.problems = problems


class DeliveryFailed(PublishError):
    """The broker did not acknowledge an event (after the producer's retries)."""


class MessageTooLarge(DeliveryFailed):
    """The broker or the producer refused an event for its size."""


# --- results ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """What happened to one event.

    ``status`` is ``"sent"`` (``topic``/``partition``/``offset`` set), ``"valid"`` (dry run:
    checked, not sent), ``"invalid"`` (broke the contract; ``reason``/``problems`` say why; not
    sent) or ``"failed"`` (valid but not acknowledged; ``reason``/``detail`` say why).
    ``ref`` is the caller's reference for the event: the CLI passes the line number; by default
    it is the event's 1-based position in the input.
    """

    status: str
    ref: Any = None
    event_id: str | None = None
    source: str | None = None
    subject: str | None = None
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    reason: str | None = None
    detail: str | None = None
    problems: tuple[Problem, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return self.status in ("sent", "valid")

    def describe(self) -> str:
        """One line a partner can act on."""
        where = f"line {self.ref}: " if isinstance(self.ref, int) else (f"{self.ref}: " if self.ref is not None else "")
        where += f"{self.event_id}: " if self.event_id and self.status != "sent" else ""
        if self.status == "sent":
            return f"{where}sent {self.event_id} to {self.topic}[{self.partition}]@{self.offset}"
        if self.status == "valid":
            return f"{where}valid"
        if self.status == "invalid":
            return f"{where}{self.reason}: " + "; ".join(str(p) for p in self.problems)
        return f"{where}not delivered: {self.reason}: {self.detail}"

    def raise_for_error(self) -> DeliveryResult:
        """Return self when ``ok``, else raise the matching :class:`PublishError`."""
        if self.status == "invalid":
            raise InvalidEvent(self.describe(), self.reason or "", self.problems)
        if self.status == "failed":
            cls = MessageTooLarge if self.reason == "message_too_large" else DeliveryFailed
            raise cls(self.describe())
        return self


# --- the service --------------------------------------------------------------------------
class Publisher:
    """Publishes contract v1 and v2 events to ``topic`` (default ``cspr.events.inbound``).

    Construction connects to the broker and raises :class:`BrokerUnavailable` if none answers
    within ``connect_timeout_s``. ``delivery_timeout_s`` bounds how long one event may wait
    for its acknowledgement (retries included) before its result is ``failed``.
    """

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        topic: str = DEFAULT_TOPIC,
        connect_timeout_s: float = 15.0,
        delivery_timeout_s: float = 60.0,
        compression: str | None = "auto",
        linger_ms: int = 5,
        client_id: str = "cspr-publisher",
        security: dict[str, Any] | None = None,
    ) -> None:
        if not bootstrap_servers or bootstrap_servers == "embedded":
            raise PublisherConfigError(
                "publishing needs the address of a running Kafka broker (host:port): give "
                "--bootstrap-servers or set CSPR_KAFKA_BOOTSTRAP_SERVERS. The publisher does not "
                "start a broker ('embedded' is the stack's own broker, started by the stack)."
            )
        for part in bootstrap_servers.split(","):
            host, _, port = part.strip().rpartition(":")
            if not host or not port.isdigit():
                raise PublisherConfigError(
                    f"broker address {part.strip()!r} is not host:port (in {bootstrap_servers!r}); "
                    "give e.g. --bootstrap-servers kafka-1:9092,kafka-2:9092"
                )
        self.bootstrap_servers = bootstrap_servers
        self.topic = topic
        self.connect_timeout_s = connect_timeout_s
        self.compression = _choose_compression(compression)
        config: dict[str, Any] = {
            "bootstrap_servers": bootstrap_servers.split(","),
            "client_id": client_id,
            "acks": "all",
            "enable_idempotence": True,
            "retries": 2**31 - 1,  # bounded by delivery_timeout_ms instead
            "max_in_flight_requests_per_connection": 5,
            "compression_type": self.compression,
            "linger_ms": linger_ms,
            "batch_size": 512 * 1024,  # compressed; below the 1 MiB request and broker limits
            "max_request_size": MAX_REQUEST_BYTES,
            "bootstrap_timeout_ms": int(connect_timeout_s * 1000),
            "max_block_ms": int(connect_timeout_s * 1000),
            "request_timeout_ms": int(min(30.0, delivery_timeout_s / 2) * 1000),
            "delivery_timeout_ms": int(delivery_timeout_s * 1000),
            **(security or {}),
        }
        self._config = config
        self._producer = self._connect(config)
        self._closed = False

    @classmethod
    def from_settings(cls, settings: Settings, *, bootstrap_servers: str | None = None, **kwargs: Any) -> Publisher:
        """A publisher configured by ``CSPR_*`` settings; ``bootstrap_servers`` overrides them."""
        from infra.kafka_clients import kafka_python_options

        return cls(
            bootstrap_servers or settings.kafka_bootstrap_servers,
            topic=kwargs.pop("topic", settings.topic_inbound),
            connect_timeout_s=kwargs.pop("connect_timeout_s", settings.kafka_connect_timeout_s),
            security=kafka_python_options(settings),
            **kwargs,
        )

    def _connect(self, config: dict[str, Any]) -> Any:
        from kafka import KafkaProducer
        from kafka.errors import KafkaConfigurationError, KafkaError

        try:
            try:
                return KafkaProducer(**config)
            except KafkaConfigurationError as exc:
                if "requires broker" not in str(exc):
                    raise PublisherConfigError(f"invalid producer configuration: {exc}") from exc
                # A broker too old for idempotence: still acks=all, but a retry may duplicate,
                # which downstream de-duplication by (source, id) absorbs.
                log.warning("broker at %s does not support idempotent producers; sending without", self.bootstrap_servers)
                return KafkaProducer(**{**config, "enable_idempotence": False})
        except KafkaError as exc:
            raise BrokerUnavailable(
                f"no Kafka broker answered at {self.bootstrap_servers} within {self.connect_timeout_s:g} s "
                f"({type(exc).__name__}). Check that the broker is running and reachable from here, that "
                "the address (--bootstrap-servers or CSPR_KAFKA_BOOTSTRAP_SERVERS) is its advertised "
                "listener, and the security settings (CSPR_KAFKA_SECURITY_PROTOCOL); nothing was sent."
            ) from exc

    @property
    def idempotent(self) -> bool:
        return bool(self._producer.config["enable_idempotence"])

    # --- use cases -----------------------------------------------------------------------
    @staticmethod
    def check(raw: bytes | str | dict[str, Any], ref: Any = None) -> DeliveryResult:
        """Validate one event without sending it (a dry run; needs no broker: ``Publisher.check(raw)``)."""
        return _validate_only(raw, ref)

    def publish(self, raw: bytes | str | dict[str, Any], ref: Any = None) -> DeliveryResult:
        """Validate and send one event, and wait for its acknowledgement."""
        return next(self.publish_many([raw], refs=[ref]))

    def publish_many(self, events: Iterable[bytes | str | dict[str, Any]],
                     refs: Iterable[Any] | None = None) -> Iterator[DeliveryResult]:
        """Validate and send every event; yield one result per event, in input order.

        Sends are pipelined (up to ``WINDOW`` in flight); each result is yielded once its
        event is acknowledged, failed, or found invalid. Closing the generator early still
        leaves what was sent in flight: call ``flush()`` or ``close()``.
        """
        self._check_open()
        pending: collections.deque[_Pending] = collections.deque()
        ref_iter = iter(refs) if refs is not None else None
        for index, raw in enumerate(events):
            ref = next(ref_iter, None) if ref_iter is not None else index + 1
            outcome = prepare(raw, ref)
            if isinstance(outcome, DeliveryResult):
                if not pending:
                    yield outcome
                    continue
                pending.append(_Pending(outcome, None, ref, b""))
            else:
                event, payload = outcome
                pending.append(_Pending(self._send(event, payload, ref), event, ref, payload))
            while pending and (len(pending) > WINDOW or pending[0].settled):
                yield from self._resolve_next(pending)
        if pending:
            self._flush_quietly()
        while pending:
            yield from self._resolve_next(pending)

    def flush(self, timeout_s: float | None = None) -> None:
        self._producer.flush(timeout=timeout_s)

    def close(self, timeout_s: float = 30.0) -> None:
        """Flush what is in flight (at most ``timeout_s``), then close the connection."""
        if not self._closed:
            self._closed = True
            try:
                self._producer.flush(timeout=timeout_s)
            except Exception as exc:  # still close; the pending results already say what failed
                log.warning("flush on close did not finish: %s", exc)
            self._producer.close(timeout=timeout_s)

    def __enter__(self) -> Publisher:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # --- internals -----------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise PublishError("this Publisher is closed: create a new one")

    def _send(self, event: Any, payload: bytes, ref: Any) -> Any:
        from kafka.errors import KafkaError

        try:
            return self._producer.send(self.topic, value=payload, key=event.subject.encode("utf-8"))
        except KafkaError as exc:  # raised synchronously: too large, metadata timeout, ...
            return _failed_result(exc, event, ref, self)

    def _resolve_next(self, pending: collections.deque[_Pending]) -> Iterator[DeliveryResult]:
        item = pending.popleft()
        result = self._resolve(item)
        if result.status != "failed" or not self._producer_failed():
            yield result
            return
        # kafka-python's idempotent producer treats some broker refusals (a message over the
        # broker's size limit) as fatal: it aborts every batch in flight and refuses further
        # sends. Start a new producer session and re-send what was aborted one event at a time,
        # so each event gets its own verdict. (A re-sent event the broker had in fact written is
        # a duplicate, which downstream de-duplication by (source, id) absorbs.)
        aborted = [item, *pending]
        pending.clear()
        for one in aborted:
            if one.settled_ok:
                yield self._resolve(one)
                continue
            if self._producer_failed():
                self._reconnect()
            yield self._resolve(_Pending(self._send(one.event, one.payload, one.ref), one.event, one.ref, one.payload))
        if self._producer_failed():
            self._reconnect()

    def _resolve(self, item: _Pending) -> DeliveryResult:
        future = item.future
        if isinstance(future, DeliveryResult):
            return future
        from kafka.errors import KafkaError

        event, ref = item.event, item.ref
        try:
            # Fast path for the common case (already acknowledged): get() sets up a timer each call.
            md = future.value if future.is_done and future.succeeded() else future.get()
        except KafkaError as exc:
            return _failed_result(exc, event, ref, self)
        return DeliveryResult("sent", ref, event.id, event.source, event.subject, md.topic, md.partition, md.offset)

    def _flush_quietly(self) -> None:
        """Send what lingers now. Each event's verdict comes from its own future afterwards;
        kafka-python's flush() itself can raise after it split a batch the broker found too large."""
        from kafka.errors import KafkaError

        try:
            self._producer.flush()
        except KafkaError as exc:
            log.debug("flush: %s (each event's own result says what happened)", exc)

    def _producer_failed(self) -> bool:
        manager = getattr(self._producer, "_transaction_manager", None)
        return bool(manager is not None and manager.has_fatal_error())

    def _reconnect(self) -> None:
        log.warning("the producer session at %s hit a fatal error; starting a new one", self.bootstrap_servers)
        old = self._producer
        try:
            old.close(timeout=5)
        except Exception as exc:  # the old session is already broken; the new one is what matters
            log.debug("closing the failed producer: %s", exc)
        self._producer = self._connect(self._config)


@dataclass(slots=True)
class _Pending:
    """One event on its way: the producer's future (or a result already known), and what to re-send."""

    future: Any
    event: Any
    ref: Any
    payload: bytes

    @property
    def settled(self) -> bool:
        return isinstance(self.future, DeliveryResult) or bool(self.future.is_done)

    @property
    def settled_ok(self) -> bool:
        return isinstance(self.future, DeliveryResult) or (bool(self.future.is_done) and self.future.succeeded())


def prepare(raw: bytes | str | dict[str, Any], ref: Any) -> DeliveryResult | tuple[Any, bytes]:
    """(event, bytes to send) or an invalid result. The bytes are the caller's, unchanged.
    Every transport (Kafka, HTTP) checks an event with this before it sends it."""
    try:
        event = parse_event(raw)
    except EventValidationError as err:
        return DeliveryResult("invalid", ref, reason=err.reason, problems=err.problems)
    if isinstance(raw, bytes):
        payload = raw
    elif isinstance(raw, (bytearray, memoryview)):
        payload = bytes(raw)
    elif isinstance(raw, str):
        payload = raw.encode("utf-8")
    else:  # a dict: written compactly, as parse_event read it
        payload = json.dumps(raw, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return event, payload


def _validate_only(raw: bytes | str | dict[str, Any], ref: Any) -> DeliveryResult:
    outcome = prepare(raw, ref)
    if isinstance(outcome, DeliveryResult):
        return outcome
    event, _ = outcome
    return DeliveryResult("valid", ref, event.id, event.source, event.subject)


def _failed_result(exc: Exception, event: Any, ref: Any, publisher: Publisher) -> DeliveryResult:
    from kafka import errors as E

    name = type(exc).__name__
    if isinstance(exc, (E.MessageSizeTooLargeError, E.RecordListTooLargeError)):
        reason = "message_too_large"
        detail = (f"the broker or producer refused the message for its size ({name}: {exc}); contract v1 "
                  f"allows {MAX_MESSAGE_BYTES:,} bytes per event: check the broker's message.max.bytes")
    elif isinstance(exc, E.KafkaTimeoutError):
        reason = "timeout"
        detail = (f"no acknowledgement from {publisher.bootstrap_servers} in time ({exc}); check the broker "
                  f"is up, that topic '{publisher.topic}' exists (safeguarding creates it at start-up) and, on a "
                  "cluster, that at least min.insync.replicas of its brokers are up (acks=all waits for them)")
    elif isinstance(exc, (E.TopicAuthorizationFailedError, E.ClusterAuthorizationFailedError)):
        reason = "not_authorised"
        detail = f"the broker refused this client for topic '{publisher.topic}' ({name}); check the ACLs/credentials"
    else:
        reason = "broker_rejected"
        detail = f"{name}: {exc}"
    return DeliveryResult("failed", ref, event.id, event.source, event.subject,
                          topic=publisher.topic, reason=reason, detail=detail)


def _choose_compression(compression: str | None) -> str | None:
    from kafka import codec

    available = {"lz4": codec.has_lz4, "zstd": codec.has_zstd, "snappy": codec.has_snappy, "gzip": codec.has_gzip}
    if compression in (None, "none"):
        return None
    if compression == "auto":  # lz4: cheapest CPU per event; gzip is always there
        return "lz4" if codec.has_lz4() else "gzip"
    if compression not in available:
        raise PublisherConfigError(f"unknown compression {compression!r}: use one of none, auto, {', '.join(available)}")
    if not available[compression]():
        raise PublisherConfigError(f"compression {compression!r} needs its Python package (pip install {compression})")
    return compression
