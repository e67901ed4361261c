"""Partner tokens for the HTTP gateway: issued once, kept only as hashes, each bound to one authority.

A token is ``cspr_<key id>_<secret>``: the key id (8 hex digits) names the line of the token
file; the secret is 256 random bits. The file keeps ``<key id> <authority> sha256:<hex>`` per
token, never the token itself. SHA-256 (not a slow password hash) is enough for a 256-bit
random secret: nobody can guess it, so the hash need not slow guessing down; the comparison is
constant-time (``hmac.compare_digest``).

Rotation: issue a second token for the same authority (``safeguarding gateway token add``), let
the partner switch, then remove the old line (``safeguarding gateway token revoke KEY_ID``).
Both tokens work in between. The gateway re-reads the file when it changes: no restart.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import re
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

from schemas.errors import CsprError
from schemas.partners import UnknownAuthority, authority_of

PREFIX = "cspr_"
_LINE = re.compile(r"^(?P<key>[0-9a-f]{8})\s+(?P<authority>\S+)\s+sha256:(?P<hash>[0-9a-f]{64})\s*$")
_TOKEN = re.compile(r"^cspr_(?P<key>[0-9a-f]{8})_(?P<secret>[A-Za-z0-9_-]{20,})$")


class CredentialsError(CsprError):
    """The token file cannot be read or has a malformed line (the message says where)."""


@dataclass(frozen=True, slots=True)
class Partner:
    """An authenticated partner: the authority it may write as, and which token it used (the
    token itself only to forward to the worker that reads the partner's view under ``up``)."""

    authority: str
    key_id: str
    token: str = field(default="", repr=False, compare=False)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> tuple[str, str]:
    """(key id, token)."""
    key_id = secrets.token_hex(4)
    return key_id, f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"


class Credentials:
    """The token file, read at start and again whenever it changes on disk."""

    def __init__(self, path: Path | None = None, entries: dict[str, tuple[str, str]] | None = None):
        self.path = path
        self._entries: dict[str, tuple[str, str]] = dict(entries or {})  # key id -> (authority, hash)
        self._stamp: tuple[int, int] | None = None
        self._lock = threading.Lock()
        if path is not None:
            self._reload(force=True)

    def _reload(self, force: bool = False) -> None:
        assert self.path is not None
        try:
            st = self.path.stat()
        except OSError as exc:
            raise CredentialsError(f"cannot read the gateway's token file {self.path}: {exc.strerror or exc}") from None
        stamp = (st.st_mtime_ns, st.st_size)
        if not force and stamp == self._stamp:
            return
        entries: dict[str, tuple[str, str]] = {}
        for number, line in enumerate(self.path.read_text("utf-8").splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            found = _LINE.match(line.strip())
            if not found:
                raise CredentialsError(f"{self.path} line {number}: expected '<8 hex key id> <LA code or source> "
                                       "sha256:<64 hex>'")
            try:
                entries[found["key"]] = (authority_of(found["authority"]), found["hash"])
            except UnknownAuthority as exc:
                raise CredentialsError(f"{self.path} line {number}: {exc}") from None
        self._entries, self._stamp = entries, stamp

    def authenticate(self, token: str | None) -> Partner | None:
        """The partner this token belongs to, or None."""
        if not token:
            return None
        found = _TOKEN.match(token.strip())
        if not found:
            return None
        if self.path is not None:
            # keep the last good file: a half-written edit must not lock every partner out
            with self._lock, contextlib.suppress(CredentialsError):
                self._reload()
        entry = self._entries.get(found["key"])
        if entry is None:
            hmac.compare_digest(hash_token(token), "0" * 64)  # the same work for an unknown key id
            return None
        authority, digest = entry
        if not hmac.compare_digest(hash_token(token.strip()), digest):
            return None
        return Partner(authority, found["key"], token.strip())


def add_token(path: Path, who: str) -> tuple[str, str]:
    """Issue a token for this authority: append its hash to the file; return (key id, token)."""
    authority = authority_of(who)
    key_id, token = new_token()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write(f"{key_id} {authority} sha256:{hash_token(token)}\n")
    return key_id, token


def revoke_token(path: Path, key_id: str) -> bool:
    """Remove a key id's line; True when there was one."""
    lines = path.read_text("utf-8").splitlines(keepends=True) if path.exists() else []
    kept = [line for line in lines if line.split()[:1] != [key_id]]
    if len(kept) == len(lines):
        return False
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text("".join(kept), encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)
    return True
