"""``safeguarding dashboards generate|check|provision``."""

from __future__ import annotations

import argparse

from infra.settings import settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("dashboards", help="Grafana dashboards as code: generate, check, provision",
                       description="The Grafana dashboards are defined in dashboards/<name>/main.py and "
                       "generated to dashboards/json/.")
    dsub = p.add_subparsers(dest="dashboards_command", metavar="ACTION", required=True)

    g = dsub.add_parser("generate", help="write dashboards/json/<uid>.json and the alert rules from the code")
    g.set_defaults(func=_generate)

    c = dsub.add_parser("check", help="exit 1 if dashboards/json/ differs from what the code generates")
    c.set_defaults(func=_check)

    pr = dsub.add_parser("provision", help="create or update the dashboards in a running Grafana")
    pr.add_argument("--url", help="Grafana's base URL (default: CSPR_GRAFANA_URL)")
    pr.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for each request")
    pr.set_defaults(func=_provision)


def _generate(args: argparse.Namespace) -> int:
    from dashboards import alerting
    from dashboards.generate import generate

    for path in generate():
        print(path)
    print(alerting.generate())
    return 0


def _check(args: argparse.Namespace) -> int:
    from dashboards import alerting
    from dashboards.generate import drift

    problems = drift() + alerting.drift()
    for line in problems:
        print(line)
    if problems:
        print("run `safeguarding dashboards generate` and commit dashboards/json/ and infra/grafana/provisioning/alerting/")
        return 1
    print("dashboards/json/ and the alert rules are current")
    return 0


def _provision(args: argparse.Namespace) -> int:
    from dashboards.provision import provision

    s = settings()
    token = s.grafana_token.get_secret_value() if s.grafana_token else None
    for board in provision(args.url or s.grafana_url, token, timeout=args.timeout):
        print(f"{board.uid}\tversion {board.version}\t{board.title}")
    return 0
