"""Alert routing as code: the contact points and notification policy that
``dashboards/alerting.py`` writes (``cspr-notifications.yaml``), checked against Grafana's file
provisioning format as far as it can be without a Grafana server (none can be installed here):

- the keys Grafana's provisioning reader knows (``AlertingFileV1``: ``apiVersion``,
  ``contactPoints``, ``policies``; a contact point's ``orgId``/``name``/``receivers``; a receiver's
  ``uid``/``type``/``settings``/``disableResolveMessage``; a policy's route keys), and what its
  validation refuses (a receiver without uid, type or settings; an e-mail without ``addresses``;
  a webhook without ``url``; a duration Prometheus cannot parse);
- Grafana interpolates ``$VAR`` in contact-point settings and policies (not in rule annotations
  or query models): every ``$`` in the file is a ``${VARIABLE}`` docker-compose.yml passes to
  Grafana and ``.env.example`` documents; none is a literal that would be swallowed;
- routing: every rule's labels, walked through the policy tree as Grafana's Alertmanager walks
  it (first matching child route, else the parent), reach the contact point of its audience.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from dashboards import alerting
from infra.warehouse.alerts import AUDIENCES, RULES

ROOT = Path(__file__).resolve().parents[3]
FILE = alerting.ALERTING_DIR / alerting.NOTIFICATIONS_FILE

# Grafana's provisioning types (pkg/services/provisioning/alerting: types.go, contact_point_types.go,
# notification_policy_types.go -> the Alertmanager route definition with Grafana's object_matchers)
FILE_KEYS = {"apiVersion", "groups", "deleteRules", "contactPoints", "deleteContactPoints", "policies",
             "resetPolicies", "muteTimes", "deleteMuteTimes", "templates", "deleteTemplates"}
CONTACT_POINT_KEYS = {"orgId", "name", "receivers"}
RECEIVER_KEYS = {"uid", "type", "settings", "disableResolveMessage"}
ROUTE_KEYS = {"receiver", "group_by", "continue", "object_matchers", "matchers", "mute_time_intervals",
              "active_time_intervals", "group_wait", "group_interval", "repeat_interval", "routes"}
REQUIRED_SETTING = {"email": "addresses", "webhook": "url"}  # grafana/alerting receivers/*/config.go
MATCH_OPERATORS = {"=", "!=", "=~", "!~"}
# Prometheus' model.ParseDuration, which Grafana uses for every timing
DURATION = re.compile(r"^(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$")
VARIABLE = re.compile(r"^\$\{([A-Z][A-Z0-9_]*)\}$")


def _committed() -> dict[str, Any]:
    return dict(yaml.safe_load(FILE.read_text(encoding="utf-8")))


def _compose_grafana_env() -> dict[str, str]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["grafana"]["environment"])


def test_the_notification_file_is_generated_committed_and_checked() -> None:
    assert alerting.drift() == [], "run `safeguarding dashboards generate` and commit infra/grafana/provisioning/"
    assert FILE.parent == ROOT / "infra" / "grafana" / "provisioning" / "alerting"  # where compose mounts it


def test_dashboards_check_reports_a_hand_edited_or_missing_notification_file(tmp_path: Path) -> None:
    alerting.generate(tmp_path)
    assert alerting.drift(tmp_path) == []
    edited = tmp_path / alerting.NOTIFICATIONS_FILE
    edited.write_text(edited.read_text().replace("CSPR casework team", "someone else"))
    assert alerting.drift(tmp_path) == [f"{edited}: differs from the code"]
    edited.unlink()
    assert alerting.drift(tmp_path) == [f"{edited}: missing"]


def test_the_file_has_only_keys_grafana_provisioning_reads() -> None:
    doc = _committed()
    assert doc["apiVersion"] == 1 and set(doc) <= FILE_KEYS
    for point in doc["contactPoints"]:
        assert set(point) <= CONTACT_POINT_KEYS and point["orgId"] == 1 and point["name"].strip()
        for receiver in point["receivers"]:
            assert set(receiver) <= RECEIVER_KEYS
    (policy,) = doc["policies"]  # one tree per organisation: it replaces Grafana's default policy

    def walk(route: dict[str, Any], top: bool) -> None:
        assert set(route) <= ROUTE_KEYS | ({"orgId"} if top else set()), set(route) - ROUTE_KEYS
        for child in route.get("routes", []):
            walk(child, False)

    walk(policy, True)
    assert policy["orgId"] == 1


def test_every_receiver_is_valid_as_grafana_validates_it() -> None:
    uids = []
    for point in _committed()["contactPoints"]:
        assert point["receivers"], f"{point['name']}: a contact point with no integration"
        for receiver in point["receivers"]:
            assert receiver["uid"].strip() and receiver["type"].strip() and receiver["settings"]
            assert len(receiver["uid"]) <= 40 and re.fullmatch(r"[a-zA-Z0-9\-_]+", receiver["uid"])
            required = REQUIRED_SETTING[receiver["type"]]  # only integrations whose rules are known here
            assert receiver["settings"][required], (point["name"], required)
            if receiver["type"] == "webhook":
                assert receiver["settings"].get("httpMethod", "POST") in ("POST", "PUT")
            uids.append(receiver["uid"])
    assert len(uids) == len(set(uids)), "receiver uids must be unique"
    names = [p["name"] for p in _committed()["contactPoints"]]
    assert len(names) == len(set(names))


def _strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return [node] if isinstance(node, str) else []


def test_addresses_and_urls_come_from_the_environment_compose_passes_and_env_example_documents() -> None:
    doc = _committed()
    env = _compose_grafana_env()
    example = {line.split("=", 1)[0] for line in (ROOT / ".env.example").read_text().splitlines()
               if "=" in line and not line.startswith("#")}
    referenced = set()
    for point in doc["contactPoints"]:
        for receiver in point["receivers"]:
            address = receiver["settings"][REQUIRED_SETTING[receiver["type"]]]
            var = VARIABLE.fullmatch(address)
            assert var, f"{point['name']}: {address!r} must be a ${{VARIABLE}} (no address in the repository)"
            referenced.add(var[1])
    assert referenced == set(alerting.environment_variables())
    for name in referenced:
        # compose passes it from .env and refuses to start without it (an empty address would make
        # Grafana's provisioning fail at start-up)
        assert env.get(name) == f"${{{name}:?set in .env}}", name
        assert name in example, f".env.example must document {name}"
    # Grafana interpolates every string of these sections: a literal '$' would be swallowed
    for text in _strings(doc["contactPoints"]) + _strings(doc["policies"]):
        assert "$" not in text or VARIABLE.fullmatch(text), text
    # e-mail needs Grafana's mail server, also from the environment
    assert env["GF_SMTP_ENABLED"] == "true"
    for key in ("GF_SMTP_HOST", "GF_SMTP_FROM_ADDRESS"):
        assert env[key].startswith("${") and env[key].endswith(":?set in .env}"), key
        assert env[key][2:].split(":")[0] in example


def test_the_file_as_grafana_reads_it_with_the_environment_set(monkeypatch: pytest.MonkeyPatch) -> None:
    """What Grafana's provisioning gets after it fills the variables (os.ExpandEnv, as its
    ``values`` package does): real addresses, and nothing left unfilled."""
    import os

    for name in alerting.environment_variables():
        monkeypatch.setenv(name, "https://hooks.example.org/x" if name.endswith("_URL") else "a@example.org;b@example.org")
    filled = yaml.safe_load(os.path.expandvars(FILE.read_text()))
    for point in filled["contactPoints"]:
        for receiver in point["receivers"]:
            value = receiver["settings"][REQUIRED_SETTING[receiver["type"]]]
            assert "$" not in value and value.strip()
            if receiver["type"] == "email":
                assert [a for a in re.split(r"[,;\n]", value) if a] == ["a@example.org", "b@example.org"]


def _route_for(route: dict[str, Any], labels: dict[str, str]) -> dict[str, Any]:
    """The policy an alert with ``labels`` lands on: the first child route whose matchers all
    match (no ``continue`` is used here), recursively; else this one."""
    for child in route.get("routes", []):
        assert not child.get("continue"), "routing below assumes first match wins"
        matchers = child.get("object_matchers", [])
        assert matchers and not child.get("matchers"), "routes match with object_matchers only"
        ok = True
        for name, op, value in matchers:
            assert op in MATCH_OPERATORS
            have = labels.get(name, "")
            ok &= {"=": have == value, "!=": have != value,
                   "=~": re.fullmatch(value, have) is not None, "!~": re.fullmatch(value, have) is None}[op]
        if ok:
            return _route_for(child, labels)
    return route


def _effective(route_path: list[dict[str, Any]], key: str) -> Any:
    for route in reversed(route_path):
        if key in route:
            return route[key]
    raise AssertionError(f"{key} set nowhere")


def test_every_rule_reaches_the_contact_point_of_its_audience() -> None:
    rules = {r["uid"]: r for r in yaml.safe_load((alerting.ALERTING_DIR / alerting.FILE).read_text())["groups"][0]["rules"]}
    (policy,) = _committed()["policies"]
    names = {p["name"] for p in _committed()["contactPoints"]}
    by_audience = {c.audience: c for c in alerting.CONTACT_POINTS}
    assert set(by_audience) == set(AUDIENCES), "one contact point per audience"
    for rule in RULES:
        labels = {**rules[rule.uid]["labels"], "alertname": rule.title, "grafana_folder": "x"}
        assert labels["audience"] == rule.audience in AUDIENCES
        for column in rule.labels:  # an instance's labels (a local authority, a partner)
            labels[column] = "E09000001"
        route = _route_for(policy, labels)
        assert route["receiver"] == by_audience[rule.audience].name in names, rule.uid
        group_by = set(_effective([policy, route], "group_by"))
        assert "alertname" in group_by
        if rule.audience != "platform":  # one message per local authority or partner, not one for all
            assert set(rule.labels) <= group_by, (rule.uid, group_by)
    # Grafana's own alerts (DatasourceError, DatasourceNoData) carry no audience: the platform's
    assert _route_for(policy, {"alertname": "DatasourceError"})["receiver"] == by_audience[alerting.ROOT_AUDIENCE].name
    assert policy["receiver"] in names


def test_every_timing_is_a_duration_grafana_parses() -> None:
    (policy,) = _committed()["policies"]

    def walk(route: dict[str, Any]) -> None:
        for key in ("group_wait", "group_interval", "repeat_interval"):
            if key in route:
                assert DURATION.fullmatch(route[key]) and route[key], (key, route[key])
        for child in route.get("routes", []):
            walk(child)

    walk(policy)
    for key in ("group_wait", "group_interval", "repeat_interval"):
        assert key in policy  # the root sets every timing: children inherit what they do not set
