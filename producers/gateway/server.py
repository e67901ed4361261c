"""Run the gateway: uvicorn in this process (``serve``), or on a background thread (``Running``,
for the embedded stack and the tests)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.settings import Settings
from producers.gateway.app import Gateway, create_app
from producers.gateway.credentials import Credentials, CredentialsError
from producers.gateway.limits import RateLimiter
from producers.gateway.views import PartnerViews
from schemas.errors import CsprError, ServiceUnavailable


def build(settings: Settings, *, bootstrap_servers: str | None = None, credentials: Credentials | None = None,
          views: bool = True, data_dir: Path | None = None, publish: bool = True,
          secure_cookies: bool = False) -> Gateway:
    """A gateway configured by the settings: its publisher (connected now), credentials and views."""
    from producers.publishing.publisher import Publisher

    if credentials is None:
        if settings.gateway_credentials is None:
            raise CredentialsError("the gateway needs its token file: set CSPR_GATEWAY_CREDENTIALS (create it with "
                                   "'safeguarding gateway token add LA_CODE --credentials FILE')")
        credentials = Credentials(settings.gateway_credentials)
    # linger 1 ms: a request's events go at once (a batched request is its own batch); each
    # request waits for its acknowledgement, so a longer linger is latency for nothing
    publisher = Publisher.from_settings(settings, bootstrap_servers=bootstrap_servers, client_id="cspr-gateway",
                                        linger_ms=1) if publish else None
    partner_views = None
    if views:
        from infra.warehouse.client import get_client

        partner_views = PartnerViews(lambda: get_client(settings, data_dir=data_dir), settings.clickhouse_database,
                                     settings.topic_inbound)
    return Gateway(publisher, credentials, partner_views, settings.gateway_max_body_bytes,
                   settings.gateway_max_batch_events,
                   RateLimiter(settings.gateway_rate_events_per_s, settings.gateway_rate_burst), secure_cookies)


def uvicorn_config(app: Any, host: str, port: int, **ssl: Any) -> Any:
    import uvicorn

    # limit_concurrency bounds the requests in hand (each may hold up to max_body_bytes);
    # beyond it uvicorn answers 503 at once rather than queueing without bound
    return uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                          limit_concurrency=256, timeout_keep_alive=30, server_header=False, **ssl)


def serve(gw: Gateway, host: str, port: int, **ssl: Any) -> None:
    import uvicorn

    try:
        uvicorn.Server(uvicorn_config(create_app(gw), host, port, **ssl)).run()
    finally:
        if gw.publisher is not None:
            gw.publisher.close()


@dataclass
class Running:
    """The gateway on a daemon thread of this process; ``stop()`` ends it and closes its publisher."""

    gateway: Gateway
    server: Any
    thread: threading.Thread
    url: str

    @classmethod
    def start(cls, gw: Gateway, host: str = "127.0.0.1", port: int = 0, timeout_s: float = 15.0) -> Running:
        import socket

        import uvicorn

        # proto given explicitly: asyncio sets TCP_NODELAY on accepted connections only when the
        # listening socket says IPPROTO_TCP, and without it every response waited ~40 ms (Nagle
        # and delayed ACK, measured)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            sock.close()
            raise ServiceUnavailable(f"the gateway cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        bound = sock.getsockname()[1]
        server = uvicorn.Server(uvicorn_config(create_app(gw), host, bound))
        # uvicorn leaves signals alone off the main thread: the caller stops it with stop()
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="cspr-gateway", daemon=True)
        thread.start()
        deadline = time.monotonic() + timeout_s
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                raise CsprError(f"the gateway did not start on {host}:{bound} within {timeout_s:g} s")
            time.sleep(0.02)
        return cls(gw, server, thread, f"http://{host}:{bound}")

    def stop(self, timeout_s: float = 10.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout_s)
        if self.gateway.publisher is not None:
            self.gateway.publisher.close()
