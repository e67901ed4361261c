"""Pseudonymous child references: a keyed hash of the partner's own record id.

The contract has no field for a child's name or local record id. A partner derives each
``child_ref`` from its own record id with HMAC-SHA256 under a secret only the partner holds
(``CSPR_PARTNER_SECRET``):

- the local record id never leaves the partner: only the hash is published, and without the
  secret nobody (the Panel included) can recompute or test a guessed id against it;
- the same record id and secret always give the same reference, so events about one child
  (a notification and its corrections) agree, and re-running an export changes nothing;
- a different secret gives unrelated references, so two partners' references cannot be linked.

The reference is the whole 32-byte HMAC-SHA256 of the record id's UTF-8 text (exactly as
given, no trimming) in URL-safe base64 without padding: 43 characters of ``[A-Za-z0-9_-]``,
within the contract's ``^[A-Za-z0-9_-]{6,64}$``. A partner in any language can reproduce it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import TYPE_CHECKING

from schemas.errors import CsprError

if TYPE_CHECKING:
    from infra.settings import Settings

MIN_SECRET_BYTES = 16


class ChildRefError(CsprError):
    """No usable secret, or no usable local record id."""


def child_ref(local_record_id: str | int, secret: str | bytes) -> str:
    """The pseudonymous ``child_ref`` for one of the partner's own record ids."""
    key = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    if len(key) < MIN_SECRET_BYTES:
        raise ChildRefError(
            f"the partner secret must be at least {MIN_SECRET_BYTES} bytes (got {len(key)}); "
            "set CSPR_PARTNER_SECRET to a long random value, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
        )
    record = str(local_record_id)  # hashed exactly as given, so any language can reproduce it
    if not record.strip():
        raise ChildRefError("the local record id is empty: a child_ref needs the partner's own record id")
    digest = hmac.new(key, record.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def child_ref_from_settings(local_record_id: str | int, settings: Settings | None = None) -> str:
    """``child_ref`` keyed with ``settings.partner_secret`` (``CSPR_PARTNER_SECRET``)."""
    if settings is None:
        from infra.settings import settings as current

        settings = current()
    if settings.partner_secret is None:
        raise ChildRefError(
            "CSPR_PARTNER_SECRET is not set: child references are keyed hashes and need the "
            "partner's secret (keep it the same across runs, and never share it)"
        )
    return child_ref(local_record_id, settings.partner_secret.get_secret_value())
