"""The partners' HTTP gateway inside the embedded stack (``safeguarding up``).

In embedded mode the worker owns the chDB folder, so this gateway takes events only (its
``/partner`` views answer 503 until the stack stops; a production gateway reads a ClickHouse
server). Partner tokens live in ``DATA/gateway-tokens``: issue one with
``safeguarding gateway token add E06000001 --credentials DATA/gateway-tokens`` (the running
gateway picks it up without a restart).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from infra.settings import Settings

TOKENS = "gateway-tokens"


def start_gateway(conf: Settings, bootstrap: str, data_dir: Path, port: int = 0) -> Any:
    """Start the gateway on loopback on a thread of this process; returns it (``.url``, ``.stop()``)."""
    from producers.gateway.credentials import Credentials
    from producers.gateway.server import Running, build

    tokens = Path(data_dir) / TOKENS
    if not tokens.exists():
        tokens.touch(mode=0o600)
    return Running.start(build(conf, bootstrap_servers=bootstrap, credentials=Credentials(tokens), views=False),
                         port=port)
