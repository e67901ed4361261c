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


def test_the_partners_are_configured_once_as_la_codes_or_panel() -> None:
    from infra.settings import load_settings
    from streams.partners import partner_topics

    conf = load_settings(partners=" E06000001, panel urn:cspr:la:E08000025,E06000001 ")
    assert conf.partner_codes == ("E06000001", "panel", "E08000025")
    assert partner_topics(conf) == [f"{INBOUND}.E06000001", f"{INBOUND}.panel", f"{INBOUND}.E08000025"]
    assert load_settings(partners="").partner_codes == ()


def test_a_bad_partner_entry_is_named_on_one_line() -> None:
    import pytest

    from infra.settings import SettingsError, load_settings

    with pytest.raises(SettingsError) as err:
        load_settings(partners="E06000001,E0600001x")
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith("invalid setting CSPR_PARTNERS: 'E0600001x' is not the ONS code")


def test_with_no_partner_there_is_no_relay_agent_and_nothing_to_relay() -> None:
    from infra.settings import load_settings
    from streams import partners
    from streams.app import app

    partners.enable(load_settings(partners=""))
    assert partners.AGENT not in app.agents and partners.relay.topics == ()
    assert partners.relay_lag() == 0
