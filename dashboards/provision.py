"""Push the generated dashboards to a running Grafana over its HTTP API (grafana-client).

For a Grafana that is not file-provisioned (``infra/grafana/``): checks ``GET /api/health``,
creates the folder if it is missing (``GET /api/folders/:uid``, ``POST /api/folders``), then
creates or updates each dashboard by uid (``POST /api/dashboards/db`` with ``overwrite``), so
re-running updates the same dashboards in place.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import niquests
from grafana_client import GrafanaApi
from grafana_client.client import GrafanaClientError, GrafanaException, GrafanaUnauthorizedError

from dashboards.common import FOLDER_TITLE, FOLDER_UID
from dashboards.generate import JSON_DIR, drift
from schemas.errors import CsprError, ServiceUnavailable

log = logging.getLogger(__name__)


class ProvisioningError(CsprError):
    """Grafana refused the dashboards: a bad token, missing rights, or a bad request."""


@dataclass(frozen=True)
class Provisioned:
    uid: str
    title: str
    url: str
    version: int


def provision(url: str, token: str | None, json_dir: Path = JSON_DIR, timeout: float = 10.0) -> list[Provisioned]:
    """Create the folder if needed and create/update every dashboard in ``json_dir`` by uid."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ProvisioningError(f"--url must be an http(s) URL of Grafana, got {url!r}")
    if not token:
        raise ProvisioningError("no Grafana token: set CSPR_GRAFANA_TOKEN to a service-account token")
    stale = drift(json_dir)
    if stale:
        raise ProvisioningError("dashboard JSON is not current; run `safeguarding dashboards generate`:\n  "
                                + "\n  ".join(stale))
    boards = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(json_dir.glob("*.json"))]

    api = GrafanaApi.from_url(url, credential=token, timeout=timeout)
    client = api.client
    try:
        health = client.GET("/health")
        log.info("Grafana at %s: version %s", url, (health or {}).get("version"))
        _ensure_folder(client)
        done = []
        for board in boards:
            board = {**board, "id": None}  # the uid identifies it; ids differ per Grafana
            reply = client.POST("/dashboards/db", json={
                "dashboard": board,
                "folderUid": FOLDER_UID,
                "overwrite": True,
                "message": "provisioned by safeguarding dashboards provision",
            })
            done.append(Provisioned(board["uid"], board["title"], reply.get("url", ""), int(reply.get("version", 0))))
            log.info("dashboard %s (%s) at version %s", board["uid"], board["title"], reply.get("version"))
        return done
    except GrafanaUnauthorizedError as exc:
        raise ProvisioningError(f"Grafana at {url} refused the token (401): check CSPR_GRAFANA_TOKEN") from exc
    except GrafanaClientError as exc:
        raise ProvisioningError(f"Grafana at {url} refused the request ({exc.status_code}): {exc}") from exc
    except (GrafanaException, niquests.exceptions.RequestException, OSError) as exc:
        raise ServiceUnavailable(f"cannot reach Grafana at {url}: {exc}") from exc
    except ValueError as exc:  # a reply that is not JSON: not Grafana's API at that address
        raise ServiceUnavailable(f"{url} did not answer as Grafana's HTTP API: {exc}") from exc


def _ensure_folder(client: object) -> None:
    try:
        client.GET(f"/folders/{FOLDER_UID}")  # type: ignore[attr-defined]
    except GrafanaClientError as exc:
        if exc.status_code != 404:
            raise
        client.POST("/folders", json={"uid": FOLDER_UID, "title": FOLDER_TITLE})  # type: ignore[attr-defined]
        log.info("created folder %s", FOLDER_TITLE)
