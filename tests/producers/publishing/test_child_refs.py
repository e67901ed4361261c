"""child_ref: a keyed hash of the partner's own record id; deterministic, secret-dependent, contract-shaped."""

from __future__ import annotations

import re

import pytest

from infra.settings import load_settings
from producers.publishing.child_refs import ChildRefError, child_ref, child_ref_from_settings
from schemas import parse_event
from tests.producers.publishing.events import notified

SECRET = "partner-secret-0123456789abcdef"
CONTRACT = re.compile(r"^[A-Za-z0-9_-]{6,64}$")


def test_the_same_record_and_secret_always_give_the_same_reference():
    assert child_ref("LA-REC-000123", SECRET) == child_ref("LA-REC-000123", SECRET)
    assert child_ref(123, SECRET) == child_ref("123", SECRET)


def test_a_different_secret_or_record_gives_an_unrelated_reference():
    base = child_ref("LA-REC-000123", SECRET)
    assert child_ref("LA-REC-000123", SECRET + "x") != base
    assert child_ref("LA-REC-000124", SECRET) != base


def test_the_reference_matches_the_contract_and_does_not_contain_the_local_id():
    ref = child_ref("LA-REC-000123", SECRET)
    assert CONTRACT.match(ref) and len(ref) == 43
    assert "000123" not in ref and "LA-REC" not in ref
    event = notified(1)
    event["data"]["children"][0]["child_ref"] = ref
    assert parse_event(event).data.children[0].child_ref == ref


def test_the_reference_is_hmac_sha256_so_partners_in_any_language_can_reproduce_it():
    import base64
    import hashlib
    import hmac

    expected = base64.urlsafe_b64encode(hmac.new(SECRET.encode(), b"R1", hashlib.sha256).digest()).rstrip(b"=")
    assert child_ref("R1", SECRET) == expected.decode()


def test_the_secret_comes_from_settings_and_a_missing_one_is_a_clear_error():
    settings = load_settings(partner_secret=SECRET)
    assert child_ref_from_settings("R1", settings) == child_ref("R1", SECRET)
    with pytest.raises(ChildRefError, match="CSPR_PARTNER_SECRET is not set"):
        child_ref_from_settings("R1", load_settings(partner_secret=None))


@pytest.mark.parametrize(("record", "secret", "message"), [
    ("R1", "short", "at least 16 bytes"),
    ("  ", SECRET, "record id is empty"),
])
def test_a_weak_secret_or_empty_record_id_is_refused(record, secret, message):
    with pytest.raises(ChildRefError, match=message):
        child_ref(record, secret)
