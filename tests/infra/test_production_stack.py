"""The production stack cannot run here (no Docker engine): check everything about it that can be."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml

from infra.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_compose_has_every_service_of_the_production_stack() -> None:
    assert {"kafka-1", "kafka-2", "kafka-3", "kafka-init", "clickhouse", "worker", "dbt", "grafana",
            "gateway"} <= set(SERVICES)


def test_the_gateway_is_served_only_over_tls_with_its_own_least_privileged_users() -> None:
    gateway = SERVICES["gateway"]
    command = gateway["command"]
    assert command[:2] == ["gateway", "serve"]
    assert "--ssl-certfile" in command and "--ssl-keyfile" in command
    cert, key = command[command.index("--ssl-certfile") + 1], command[command.index("--ssl-keyfile") + 1]
    mounts = {v.rsplit(":", 2)[1]: v for v in gateway["volumes"]}  # host:container:ro (host may hold ${X:?...})
    assert cert.rsplit("/", 1)[0] in mounts and key.rsplit("/", 1)[0] in mounts
    assert [p.split(":")[-1] for p in gateway["ports"]] == [command[command.index("--port") + 1]]
    env = gateway["environment"]
    assert env["CSPR_KAFKA_USERNAME"] == "gateway"
    assert env["CSPR_CLICKHOUSE_URL"].startswith("http://partner_views:")
    assert env["CSPR_GATEWAY_CREDENTIALS"] in mounts
    assert "name=gateway" in (ROOT / "infra/kafka/docker/entrypoint.sh").read_text()


def test_every_mounted_project_file_exists() -> None:
    missing = []
    for name, service in SERVICES.items():
        for volume in service.get("volumes", []):
            host = volume.split(":", 1)[0]
            if host.startswith("./") and not (ROOT / host).exists():
                missing.append(f"{name}: {host}")
    assert not missing, f"mounted files missing from the project: {missing}"


def test_every_image_built_here_copies_folders_that_exist() -> None:
    for name, service in SERVICES.items():
        build = service.get("build")
        if not build:
            continue
        dockerfile = ROOT / build["context"] / build["dockerfile"]
        assert dockerfile.exists(), f"{name}: {dockerfile} is missing"
        for line in dockerfile.read_text().splitlines():
            if line.startswith("COPY "):
                for src in shlex.split(line)[1:-1]:
                    assert (ROOT / src).exists(), f"{dockerfile.name}: COPY {src} does not exist"


def test_app_commands_are_real_cli_commands() -> None:
    from infra.cli import build_parser

    parser = build_parser()
    assert parser._subparsers is not None
    choices = parser._subparsers._group_actions[0].choices
    assert isinstance(choices, dict)
    commands = set(choices)
    assert "worker" in SERVICES["worker"]["command"] and "worker" in commands
    # the dbt service: a refresh every ~30 s and the full tested build every 900 s, as the parser reads it
    import re

    dbt = [re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", word) for word in SERVICES["dbt"]["command"]]
    args = parser.parse_args(dbt)
    assert dbt[:2] == ["report", "refresh"] and args.every <= 60 and args.build_every == 900
    report = choices["report"]
    assert {"vintages", "refresh"} <= set(report._subparsers._group_actions[0].choices)
    assert SERVICES["gateway"]["command"][0] in commands


def test_no_secret_is_committed() -> None:
    def environments(node: object) -> list[dict[str, str]]:
        if isinstance(node, dict):
            found = [node["environment"]] if isinstance(node.get("environment"), dict) else []
            return found + [e for v in node.values() for e in environments(v)]
        return []

    for env in environments(COMPOSE):
        for key, value in env.items():
            if any(word in key for word in ("PASSWORD", "SECRET", "TOKEN")):
                assert str(value).startswith("${"), f"a secret is written into docker-compose.yml: {key}"
    example = (ROOT / ".env.example").read_text()
    for line in example.splitlines():
        if "PASSWORD" in line and "=" in line:
            assert line.split("=", 1)[1] == "change-me", line
    assert ".env" in (ROOT / ".gitignore").read_text().split()


def test_grafana_has_no_anonymous_access_or_public_snapshots() -> None:
    env = SERVICES["grafana"]["environment"]
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert env["GF_SNAPSHOTS_EXTERNAL_ENABLED"] == "false"
    assert env["GF_PUBLIC_DASHBOARDS_ENABLED"] == "false"
    assert "grafana-clickhouse-datasource" in env["GF_INSTALL_PLUGINS"]


def test_kafka_is_deny_by_default_with_scram_and_three_way_replication() -> None:
    script = (ROOT / "infra/kafka/docker/entrypoint.sh").read_text()
    assert "allow.everyone.if.no.acl.found=false" in script
    assert "sasl.enabled.mechanisms=SCRAM-SHA-512" in script
    assert "default.replication.factor=3" in script and "min.insync.replicas=2" in script
    voters = COMPOSE["x-kafka"]["environment"]["KAFKA_CONTROLLER_QUORUM_VOTERS"]
    assert voters.count("@") == 3


def test_acl_script_names_the_topics_the_code_uses() -> None:
    script = (ROOT / "infra/kafka/acls.sh").read_text()
    defaults = Settings.model_fields
    assert f"TOPIC_INBOUND={defaults['topic_inbound'].default}" in script
    assert f"TOPIC_EVENTS={defaults['topic_events'].default}" in script
    assert f"TOPIC_DLQ={defaults['topic_dlq'].default}" in script
    # Partners get exactly one permission: write (and describe) their own inbound topic.
    partner_lines = [line for line in script.splitlines() if '"$principal"' in line]
    assert partner_lines == [
        '  allow --allow-principal "$principal" --operation Write --operation Describe --topic "$TOPIC_INBOUND.$code"'
    ]
    # Only the gateway and the worker (its partner relay) write the shared inbound topic.
    writers = [line.split()[2] for line in script.splitlines()
               if line.startswith("allow ") and "Write" in line and line.endswith('--topic "$TOPIC_INBOUND"')]
    assert sorted(writers) == ["User:gateway", "User:worker"]


def test_kafka_image_version_is_the_one_the_tests_run() -> None:
    pom = (ROOT / "infra/kafka/pom.xml").read_text()
    tested = re.search(r"<kafka.version>([^<]+)</kafka.version>", pom) or re.search(
        r"<artifactId>kafka_2.13</artifactId>\s*<version>([^<]+)</version>", pom
    )
    assert tested, "infra/kafka/pom.xml names no Kafka version"
    images = {s["image"] for s in SERVICES.values() if "image" in s and "kafka" in s["image"]}
    images.add(COMPOSE["x-kafka"]["image"])
    assert images == {f"apache/kafka:{tested.group(1)}"}


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    undocumented = [f"CSPR_{name.upper()}" for name in Settings.model_fields if f"CSPR_{name.upper()}" not in readme]
    assert not undocumented, f"settings missing from README: {undocumented}"
