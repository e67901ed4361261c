"""Each partner is bound to one authority: the pure checks both ways in use."""

from __future__ import annotations

import pytest

from schemas.errors import EventValidationError
from schemas.partners import (
    UnknownAuthority,
    authority_of,
    authority_of_topic,
    binding_problem,
    check_partner_message,
    partner_topic,
)
from schemas.reasons import INVALID_JSON, SOURCE_NOT_AUTHORISED
from tests.streams import events as e

INBOUND = "cspr.events.inbound"


def test_authorities_and_their_topics() -> None:
    assert authority_of("panel") == "urn:cspr:panel"
    assert partner_topic(INBOUND, "E09000005") == "cspr.events.inbound.E09000005"
    assert authority_of_topic(INBOUND, "cspr.events.inbound.panel") == "urn:cspr:panel"
    assert authority_of_topic(INBOUND, "cspr.events.inbound") is None
    assert authority_of_topic(INBOUND, "cspr.events.inbound.E99999999") is None
    with pytest.raises(UnknownAuthority):
        authority_of("urn:cspr:la:nowhere")
    assert binding_problem("urn:cspr:la:E06000001", "urn:cspr:la:E06000001") is None


def test_an_event_of_another_authority_on_a_partners_topic_is_refused() -> None:
    mine = e.notified("SIN-2020-000001", la="E06000001")
    theirs = e.notified("SIN-2020-000002", la="E09000005")
    assert check_partner_message(INBOUND, "cspr.events.inbound.E06000001", mine).source == "urn:cspr:la:E06000001"
    with pytest.raises(EventValidationError) as refused:
        check_partner_message(INBOUND, "cspr.events.inbound.E06000001", theirs)
    assert refused.value.reason == SOURCE_NOT_AUTHORISED and refused.value.problems[0].path == "source"
    with pytest.raises(EventValidationError) as unbound:
        check_partner_message(INBOUND, "cspr.events.inbound", mine)
    assert unbound.value.reason == SOURCE_NOT_AUTHORISED
    with pytest.raises(EventValidationError) as broken:
        check_partner_message(INBOUND, "cspr.events.inbound.E06000001", b"{nope")
    assert broken.value.reason == INVALID_JSON
