"""The partners' HTTP gateway inside the embedded stack (``safeguarding up``).

In embedded mode the worker owns the chDB folder (chDB is in-process, one process per folder), so
this gateway does not open the warehouse: its ``/partner`` views ask the worker
(``/partner-views/``, ``streams.partner_views``), forwarding the partner's token, which the
worker checks against the same token file and reads only that token's authority. Partner tokens
live in ``DATA/gateway-tokens``: issue one with
``safeguarding gateway token add E06000001 --credentials DATA/gateway-tokens`` (the running
gateway and worker pick it up without a restart).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from infra.settings import Settings

TOKENS = "gateway-tokens"


def token_file(data_dir: Path) -> Path:
    """``DATA/gateway-tokens``, created empty (owner-only) if missing: the gateway and the worker read it."""
    tokens = Path(data_dir) / TOKENS
    if not tokens.exists():
        tokens.touch(mode=0o600)
    return tokens


def start_gateway(conf: Settings, bootstrap: str, data_dir: Path, worker_url: str, port: int = 0) -> Any:
    """Start the gateway on loopback on a thread of this process, its views read by the worker at
    ``worker_url``; returns it (``.url``, ``.stop()``)."""
    from producers.gateway.credentials import Credentials
    from producers.gateway.server import Running, build
    from producers.gateway.views import WorkerViews

    gateway = build(conf, bootstrap_servers=bootstrap, credentials=Credentials(token_file(data_dir)), views=False)
    gateway.views = WorkerViews(worker_url)
    return Running.start(gateway, port=port)
