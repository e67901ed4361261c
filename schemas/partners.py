"""Each partner is bound to one authority: who may write an event with a given ``source``.

A partner is a local authority (``urn:cspr:la:<ONS code>``) or the Panel (``urn:cspr:panel``).
It is authenticated on each way in — an HTTP token, or a Kafka user whose ACLs let it write
only its own inbound topic ``<inbound>.<code>`` (``cspr.events.inbound.E06000001``,
``cspr.events.inbound.panel``) — and may write only events whose ``source`` is its authority.
The checks are pure functions, used by the HTTP gateway and by the stream's partner relay.
"""

from __future__ import annotations

from typing import Any

from schemas.errors import EventValidationError, Problem
from schemas.local_authorities import LA_CODES, LA_SOURCE_PREFIX, PANEL_SOURCE, la_code_of
from schemas.parsing import parse_event
from schemas.reasons import SOURCE_NOT_AUTHORISED

PANEL_SUFFIX = "panel"


class UnknownAuthority(ValueError):
    """Not the code or source of a local authority of 2020, nor the Panel."""


def authority_of(code_or_source: str) -> str:
    """The ``source`` a partner is bound to, from its LA code, its source, or ``panel``.

    >>> authority_of("E06000001")
    'urn:cspr:la:E06000001'
    """
    value = code_or_source.strip()
    if value in (PANEL_SUFFIX, PANEL_SOURCE):
        return PANEL_SOURCE
    code = la_code_of(value) if value.startswith(LA_SOURCE_PREFIX) else value
    if code in LA_CODES:
        return LA_SOURCE_PREFIX + code
    raise UnknownAuthority(f"{code_or_source!r} is not the ONS code of one of England's 151 local authorities "
                           f"(2020), e.g. E06000001, nor {PANEL_SUFFIX!r} for the Panel")


def topic_suffix(authority: str) -> str:
    """``E06000001`` or ``panel``: the last part of the partner's own inbound topic."""
    return PANEL_SUFFIX if authority == PANEL_SOURCE else la_code_of(authority) or authority


def partner_topic(inbound: str, authority: str) -> str:
    """The partner's own inbound topic: ``cspr.events.inbound.E06000001``."""
    return f"{inbound}.{topic_suffix(authority_of(authority))}"


def authority_of_topic(inbound: str, topic: str) -> str | None:
    """The authority whose own inbound topic this is, or None (the shared inbound topic, or
    a topic under the prefix that names no authority)."""
    prefix = inbound + "."
    if not topic.startswith(prefix):
        return None
    try:
        return authority_of(topic[len(prefix):])
    except UnknownAuthority:
        return None


def binding_problem(authority: str, source: object) -> EventValidationError | None:
    """None when a partner bound to ``authority`` may send an event with this ``source``;
    otherwise the ``source_not_authorised`` error to answer or dead-letter it with."""
    if source == authority:
        return None
    return EventValidationError(SOURCE_NOT_AUTHORISED, [Problem(
        "source", f"this partner is bound to {authority!r} and may send only events with that source, "
                  f"got {source!r}")])


def check_partner_message(inbound: str, topic: str, raw: bytes) -> Any:
    """The typed event of a message read from a partner's own inbound topic, when it is a valid
    event of that partner's authority; raises ``EventValidationError`` otherwise (the contract's
    reason, or ``source_not_authorised`` for a topic that names no partner or another ``source``)."""
    authority = authority_of_topic(inbound, topic)
    if authority is None:
        raise EventValidationError(SOURCE_NOT_AUTHORISED, [Problem(
            "$", f"topic {topic!r} is not a partner's inbound topic ({inbound}.<LA code> or {inbound}.panel)")])
    event = parse_event(raw)
    refused = binding_problem(authority, event.source)
    if refused is not None:
        raise refused
    return event
