"""Partner tokens: kept only as hashes, each bound to one authority, rotated with two at once;
and the per-partner rate limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from producers.gateway.credentials import Credentials, CredentialsError, add_token, hash_token, revoke_token
from producers.gateway.limits import RateLimiter


def test_a_token_is_stored_only_as_its_hash_and_names_its_authority(tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    key_id, token = add_token(path, "E06000001")
    text = path.read_text()
    assert token not in text and hash_token(token) in text and key_id in text
    assert path.stat().st_mode & 0o077 == 0  # readable by its owner only
    partner = Credentials(path).authenticate(token)
    assert partner is not None and partner.authority == "urn:cspr:la:E06000001" and partner.key_id == key_id


def test_unknown_altered_or_malformed_tokens_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    _, token = add_token(path, "E06000001")
    creds = Credentials(path)
    assert creds.authenticate(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert creds.authenticate("cspr_00000000_" + "x" * 43) is None
    assert creds.authenticate("") is None and creds.authenticate(None) is None
    assert creds.authenticate("Bearer " + token) is None


def test_rotation_two_tokens_work_until_the_old_one_is_revoked(tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    old_id, old = add_token(path, "E06000001")
    creds = Credentials(path)
    _, new = add_token(path, "urn:cspr:la:E06000001")  # the file is re-read when it changes
    assert creds.authenticate(old) and creds.authenticate(new)
    assert revoke_token(path, old_id)
    assert creds.authenticate(old) is None
    partner = creds.authenticate(new)
    assert partner is not None and partner.authority == "urn:cspr:la:E06000001"
    assert not revoke_token(path, old_id)


def test_a_malformed_token_file_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    path.write_text("# partners\nabcdef01 E06000001 sha256:" + "0" * 64 + "\nnot a line\n")
    with pytest.raises(CredentialsError, match="line 3"):
        Credentials(path)
    path.write_text("abcdef01 E99999999 sha256:" + "0" * 64 + "\n")
    with pytest.raises(CredentialsError, match="line 1: 'E99999999' is not the ONS code"):
        Credentials(path)


def test_the_rate_limit_counts_events_and_refills() -> None:
    limiter = RateLimiter(rate_per_s=1000, burst=100)
    assert limiter.take("a", 100) == 0
    wait = limiter.take("a", 50)
    assert 0.03 < wait <= 0.051
    assert limiter.take("b", 100) == 0  # each partner has its own bucket
    assert limiter.take("a", 101) == float("inf")  # more than the burst can never go


def test_reads_asked_of_the_worker_are_for_the_authenticated_partner_only(tmp_path: Path) -> None:
    from producers.gateway.views import WorkerViews

    path = tmp_path / "tokens"
    _, token = add_token(path, "E06000001")
    partner = Credentials(path).authenticate(token)
    assert partner is not None and partner.token == token and token not in repr(partner)
    reads = WorkerViews("http://127.0.0.1:9").for_partner(partner)
    with pytest.raises(ValueError, match="urn:cspr:la:E06000001's, not urn:cspr:la:E08000025's"):
        reads.accepted("urn:cspr:la:E08000025")
