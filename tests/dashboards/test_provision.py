"""`safeguarding dashboards provision` against a strict stand-in of Grafana's HTTP API."""

from __future__ import annotations

import json
import socket

import pytest

from dashboards.common import FOLDER_UID
from dashboards.generate import JSON_DIR
from infra.cli import main
from infra.settings import settings
from tests.dashboards.grafana_stand_in import GrafanaStandIn

TOKEN = "glsa_test_token_0123456789"
UIDS = sorted(json.loads(p.read_text())["uid"] for p in JSON_DIR.glob("*.json"))


@pytest.fixture
def grafana(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CSPR_GRAFANA_TOKEN", TOKEN)
    settings.cache_clear()
    with GrafanaStandIn(TOKEN) as stand_in:
        yield stand_in
    settings.cache_clear()


def test_provision_creates_the_folder_then_every_dashboard_by_uid(grafana, capsys):
    assert main(["dashboards", "provision", "--url", grafana.url]) == 0
    assert grafana.violations == []
    assert list(grafana.folders) == [FOLDER_UID]
    assert sorted(grafana.dashboards) == UIDS
    assert all(d["folderUid"] == FOLDER_UID and d["version"] == 1 for d in grafana.dashboards.values())
    # health first, folder looked up before it is created, then one POST per dashboard
    assert grafana.requests[0] == ("GET", "/api/health")
    assert grafana.requests[1:3] == [("GET", f"/api/folders/{FOLDER_UID}"), ("POST", "/api/folders")]
    assert grafana.requests.count(("POST", "/api/dashboards/db")) == len(UIDS)
    assert "cspr-national-overview" in capsys.readouterr().out


def test_provision_again_updates_the_same_dashboards_in_place(grafana):
    assert main(["dashboards", "provision", "--url", grafana.url]) == 0
    ids = {uid: d["id"] for uid, d in grafana.dashboards.items()}
    assert main(["dashboards", "provision", "--url", grafana.url]) == 0
    assert grafana.violations == []
    assert grafana.requests.count(("POST", "/api/folders")) == 1  # the folder exists the second time
    assert {uid: d["id"] for uid, d in grafana.dashboards.items()} == ids
    assert {d["version"] for d in grafana.dashboards.values()} == {2}


def test_a_wrong_token_is_a_clear_one_line_error_with_exit_2(grafana, monkeypatch, capsys):
    monkeypatch.setenv("CSPR_GRAFANA_TOKEN", "not-the-token")
    settings.cache_clear()
    assert main(["dashboards", "provision", "--url", grafana.url]) == 2
    err = capsys.readouterr().err
    assert "refused the token (401)" in err and "CSPR_GRAFANA_TOKEN" in err and "Traceback" not in err
    assert grafana.dashboards == {}


def test_no_token_is_a_usage_error_before_any_request(grafana, monkeypatch, capsys):
    monkeypatch.delenv("CSPR_GRAFANA_TOKEN")
    settings.cache_clear()
    assert main(["dashboards", "provision", "--url", grafana.url]) == 2
    assert "CSPR_GRAFANA_TOKEN" in capsys.readouterr().err
    assert grafana.requests == []


def test_grafana_not_listening_is_service_unavailable_exit_3(monkeypatch, capsys):
    monkeypatch.setenv("CSPR_GRAFANA_TOKEN", TOKEN)
    settings.cache_clear()
    with socket.socket() as s:  # a loopback port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    try:
        assert main(["dashboards", "provision", "--url", f"http://127.0.0.1:{port}", "--timeout", "2"]) == 3
    finally:
        settings.cache_clear()
    err = capsys.readouterr().err
    assert "cannot reach Grafana" in err and "Traceback" not in err


def test_a_url_that_is_not_http_is_refused(grafana, capsys):
    assert main(["dashboards", "provision", "--url", "grafana.example:3000"]) == 2
    assert "--url must be an http(s) URL" in capsys.readouterr().err
