"""The partner relay's decision for one message from a partner's own topic (no Kafka)."""

from __future__ import annotations

import json

from streams.cases.history import REJECTED
from streams.partners import outcome
from tests.streams import events as e

INBOUND = "cspr.events.inbound"


def test_an_event_of_the_topics_authority_is_forwarded_under_its_subject() -> None:
    raw = e.notified("SIN-2020-000001", la="E06000001")
    assert outcome(INBOUND, "cspr.events.inbound.E06000001", 0, 7, raw) == ("SIN-2020-000001", None)


def test_another_authoritys_event_is_dead_lettered_with_where_it_came_from() -> None:
    raw = e.notified("SIN-2020-000002", la="E09000005")
    subject, dead = outcome(INBOUND, "cspr.events.inbound.E06000001", 2, 9, raw)
    assert subject is None and dead is not None
    assert dead.kind == REJECTED and dead.reason == "source_not_authorised" and dead.raw == raw
    assert dead.problems[0][0] == "source" and "urn:cspr:la:E06000001" in dead.problems[0][1]
    assert (dead.origin.topic, dead.origin.partition, dead.origin.offset) == ("cspr.events.inbound.E06000001", 2, 9)
    assert dead.subject == "SIN-2020-000002"


def test_a_message_that_is_not_an_event_is_dead_lettered_with_its_reason() -> None:
    _, dead = outcome(INBOUND, "cspr.events.inbound.panel", 0, 0, b"{nope")
    assert dead is not None and dead.reason == "invalid_json" and dead.subject is None
    _, dead = outcome(INBOUND, "cspr.events.inbound.panel", 0, 1, json.dumps({"type": "x"}).encode())
    assert dead is not None and dead.reason == "unknown_type"
