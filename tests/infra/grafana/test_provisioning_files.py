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
    (ds,) = yaml.safe_load((PROVISIONING / "datasources" / "clickhouse.yaml").read_text())["datasources"]
    assert ds["type"] == PLUGIN and ds["editable"] is False
    assert ds["jsonData"]["username"] == "grafana"  # the read-only ClickHouse user (viewer marts)
    assert ds["jsonData"]["defaultDatabase"] == "cspr"
    password = ds["secureJsonData"]["password"]
    var = re.fullmatch(r"\$\{([A-Z_]+)\}", password)
    assert var, "the password must come from an environment variable, never the file"
    assert var[1] in _compose_grafana()["environment"], "docker-compose.yml must pass it to Grafana"


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
