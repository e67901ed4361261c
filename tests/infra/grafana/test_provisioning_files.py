"""Grafana's file provisioning (infra/grafana/provisioning) matches the compose stack and the
generated dashboards, and keeps the ClickHouse password out of the repository."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from dashboards.common import FOLDER_UID, PLUGIN
from dashboards.generate import JSON_DIR

ROOT = Path(__file__).resolve().parents[3]
PROVISIONING = ROOT / "infra" / "grafana" / "provisioning"


def _compose_grafana() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["grafana"]


def test_the_datasource_is_the_clickhouse_plugin_with_a_read_only_user_and_password_from_env():
    ds = _datasources()["cspr-clickhouse"]
    assert ds["type"] == PLUGIN and ds["editable"] is False
    assert ds["jsonData"]["username"] == "grafana"  # the read-only ClickHouse user (viewer marts)
    assert ds["jsonData"]["defaultDatabase"] == "cspr"
    password = ds["secureJsonData"]["password"]
    var = re.fullmatch(r"\$\{([A-Z_]+)\}", password)
    assert var, "the password must come from an environment variable, never the file"
    assert var[1] in _compose_grafana()["environment"], "docker-compose.yml must pass it to Grafana"


def _datasources() -> dict[str, dict]:
    return {d["uid"]: d for d in yaml.safe_load((PROVISIONING / "datasources" / "clickhouse.yaml").read_text())["datasources"]}


def test_the_alerting_datasource_logs_in_as_the_alerting_user_and_is_not_a_dashboard_choice():
    from dashboards.alerting import ALERTING_DATASOURCE
    from dashboards.common import DATASOURCE_NAMES

    sources = _datasources()
    alerting, marts = sources[ALERTING_DATASOURCE], sources["cspr-clickhouse"]
    assert alerting["type"] == PLUGIN and alerting["editable"] is False and alerting["isDefault"] is False
    assert alerting["jsonData"]["username"] == "alerting"
    var = re.fullmatch(r"\$\{([A-Z_]+)\}", alerting["secureJsonData"]["password"])
    assert var and var[1] in _compose_grafana()["environment"]
    # the dashboards' datasource variable lists the marts' data source and not the alerting one
    pattern = re.compile(DATASOURCE_NAMES.strip("/"))
    assert pattern.search(marts["name"]) and not pattern.search(alerting["name"])


def test_the_alert_rules_are_generated_committed_and_mounted():
    from dashboards import alerting
    from infra.warehouse.alerts import RULES

    assert alerting.drift() == [], "run `safeguarding dashboards generate` and commit the alert rules"
    committed = yaml.safe_load((alerting.ALERTING_DIR / alerting.FILE).read_text())
    (group,) = committed["groups"]
    assert [r["uid"] for r in group["rules"]] == [r.uid for r in RULES]
    for rule in group["rules"]:
        query, threshold = rule["data"]
        assert query["datasourceUid"] == alerting.ALERTING_DATASOURCE and "${" not in query["model"]["rawSql"]
        assert threshold["model"]["type"] == "threshold" and rule["condition"] == threshold["refId"]
    assert alerting.ALERTING_DIR == PROVISIONING / "alerting"  # under the folder compose mounts


def test_the_dashboard_provider_loads_the_generated_json_where_compose_mounts_it():
    (provider,) = yaml.safe_load((PROVISIONING / "dashboards" / "cspr.yaml").read_text())["providers"]
    assert provider["type"] == "file" and provider["folderUid"] == FOLDER_UID
    assert provider["allowUiUpdates"] is False  # changes go through code review
    mounts = dict(v.split(":")[:2] for v in _compose_grafana()["volumes"] if v.startswith("./"))
    assert mounts["./dashboards/json"] == provider["options"]["path"]
    assert mounts["./infra/grafana/provisioning"] == "/etc/grafana/provisioning"
    assert JSON_DIR == ROOT / "dashboards" / "json" and any(JSON_DIR.glob("*.json"))


def test_the_compose_grafana_installs_the_clickhouse_plugin():
    assert PLUGIN in _compose_grafana()["environment"]["GF_INSTALL_PLUGINS"]
