"""``safeguarding gateway serve`` and ``safeguarding gateway token add|revoke``."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from infra.cli_checks import data_dir_to_read, port
from schemas.errors import ExitCode, InvalidInput, UsageError


def register(sub: Any) -> None:
    p = sub.add_parser(
        "gateway", help="the partners' HTTP way in (CloudEvents over HTTP) and their own view",
        description="Serve the HTTP gateway (POST /events: CloudEvents structured or batched mode; /partner: what "
        "became of a partner's events), or manage its tokens. Each token is bound to one authority; an event "
        "whose source is another authority is refused.")
    gsub = p.add_subparsers(dest="gateway_command", metavar="ACTION", required=True)

    s = gsub.add_parser("serve", help="serve the gateway until Ctrl-C",
                        description="Serve the gateway with uvicorn. TLS: --ssl-certfile and --ssl-keyfile "
                        "(in production it is served only over TLS). Each partner's rate limit "
                        "(CSPR_GATEWAY_RATE_EVENTS_PER_S, CSPR_GATEWAY_RATE_BURST) is counted by this instance "
                        "alone: with N instances a partner may send N times the rate.")
    s.add_argument("--host", help="address to listen on (default CSPR_GATEWAY_HOST, 127.0.0.1)")
    s.add_argument("--port", type=port("--port"), help="port (default CSPR_GATEWAY_PORT, 8088)")
    s.add_argument("--bootstrap-servers", metavar="HOST:PORT[,HOST:PORT]",
                   help="the broker to publish to (default CSPR_KAFKA_BOOTSTRAP_SERVERS)")
    s.add_argument("--credentials", type=Path, help="the token file (default CSPR_GATEWAY_CREDENTIALS)")
    s.add_argument("--data-dir", type=data_dir_to_read, help="read the partner views from the chDB folder under DIR")
    s.add_argument("--no-views", action="store_true", help="serve ingestion only (no warehouse)")
    s.add_argument("--ssl-certfile", type=Path, help="TLS certificate chain (PEM)")
    s.add_argument("--ssl-keyfile", type=Path, help="TLS private key (PEM)")
    s.set_defaults(func=cmd_serve)

    t = gsub.add_parser("token", help="issue or revoke a partner's token",
                        description="Tokens are kept only as SHA-256 hashes. Rotation: add a second token for "
                        "the same authority, let the partner switch, then revoke the old key id.")
    tsub = t.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    a = tsub.add_parser("add", help="issue a token for an authority (printed once, never stored)")
    a.add_argument("authority", help="LA code (E06000001) or 'panel'")
    a.add_argument("--credentials", type=Path, help="the token file (default CSPR_GATEWAY_CREDENTIALS)")
    a.set_defaults(func=cmd_token_add)
    r = tsub.add_parser("revoke", help="remove a token by its key id")
    r.add_argument("key_id", help="the 8 hex digits after cspr_ in the token")
    r.add_argument("--credentials", type=Path, help="the token file (default CSPR_GATEWAY_CREDENTIALS)")
    r.set_defaults(func=cmd_token_revoke)


def _credentials_path(args: argparse.Namespace) -> Path:
    from infra.settings import settings

    path: Path | None = args.credentials or settings().gateway_credentials
    if path is None:
        raise UsageError("give --credentials FILE or set CSPR_GATEWAY_CREDENTIALS")
    return path


def cmd_serve(args: argparse.Namespace) -> int:
    from infra.settings import settings as current
    from producers.gateway.credentials import Credentials
    from producers.gateway.server import build, serve

    if not getattr(args, "verbose", 0):
        logging.getLogger("kafka").setLevel(logging.CRITICAL)
    settings = current()
    path = _credentials_path(args)
    if bool(args.ssl_certfile) != bool(args.ssl_keyfile):
        raise UsageError("give both --ssl-certfile and --ssl-keyfile, or neither")
    ssl = {"ssl_certfile": str(args.ssl_certfile), "ssl_keyfile": str(args.ssl_keyfile)} if args.ssl_certfile else {}
    gw = build(settings, bootstrap_servers=args.bootstrap_servers, credentials=Credentials(path),
               views=not args.no_views, data_dir=args.data_dir, secure_cookies=bool(ssl))
    host, port = args.host or settings.gateway_host, args.port if args.port is not None else settings.gateway_port
    print(f"gateway on {'https' if ssl else 'http'}://{host}:{port} (POST /events, GET /partner, /docs)",
          file=sys.stderr)
    serve(gw, host, port, **ssl)
    return ExitCode.OK


def cmd_token_add(args: argparse.Namespace) -> int:
    from producers.gateway.credentials import add_token
    from schemas.partners import UnknownAuthority

    path = _credentials_path(args)
    try:
        key_id, token = add_token(path, args.authority)
    except UnknownAuthority as exc:
        raise UsageError(str(exc)) from exc
    print(f"key id {key_id} added to {path}; give this token to the partner (it is not stored):", file=sys.stderr)
    print(token)
    return ExitCode.OK


def cmd_token_revoke(args: argparse.Namespace) -> int:
    from producers.gateway.credentials import revoke_token

    path = _credentials_path(args)
    if not revoke_token(path, args.key_id):
        raise InvalidInput(f"no key id {args.key_id!r} in {path}")
    print(f"key id {args.key_id} revoked", file=sys.stderr)
    return ExitCode.OK
