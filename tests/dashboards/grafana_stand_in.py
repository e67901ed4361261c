"""A stand-in for Grafana's HTTP API on loopback, strict about what the real one documents.

It answers the legacy HTTP API the provisioner uses (Grafana 11 documentation: Health API,
Folder API, Dashboard API) and records every request that breaks the documented contract
(wrong path or method, no ``Authorization: Bearer <token>``, a body of the wrong shape) in
``violations``, so a test can assert the client spoke the API correctly.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DASHBOARD_BODY_KEYS = {"dashboard", "folderUid", "folderId", "overwrite", "message"}


class GrafanaStandIn:
    def __init__(self, token: str) -> None:
        self.token = token
        self.folders: dict[str, dict[str, Any]] = {}
        self.dashboards: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []
        self.violations: list[str] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep pytest output clean
                pass

            def do_GET(self) -> None:
                stand_in._handle(self, "GET")

            def do_POST(self) -> None:
                stand_in._handle(self, "POST")

            def do_PUT(self) -> None:
                stand_in._handle(self, "PUT")

            def do_DELETE(self) -> None:
                stand_in._handle(self, "DELETE")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> GrafanaStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- the API -------------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        path = h.path.split("?", 1)[0]
        self.requests.append((method, path))
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        if path == "/api/health" and method == "GET":  # documented as needing no authentication
            return self._reply(h, 200, {"commit": "stand-in", "database": "ok", "version": "11.3.0"})
        if h.headers.get("Authorization") != f"Bearer {self.token}":
            return self._reply(h, 401, {"message": "invalid API key"})
        body: Any = None
        if raw:
            if not (h.headers.get("Content-Type") or "").startswith("application/json"):
                self.violations.append(f"{method} {path}: body without Content-Type: application/json")
            try:
                body = json.loads(raw)
            except ValueError:
                self.violations.append(f"{method} {path}: body is not JSON")
                return self._reply(h, 400, {"message": "bad request data"})

        if path == "/api/folders" and method == "GET":
            return self._reply(h, 200, [{"id": i, "uid": u, "title": f["title"]}
                                        for i, (u, f) in enumerate(self.folders.items(), 1)])
        if (m := re.fullmatch(r"/api/folders/([A-Za-z0-9_-]{1,40})", path)) and method == "GET":
            folder = self.folders.get(m[1])
            return self._reply(h, 200, folder) if folder else self._reply(h, 404, {"message": "folder not found"})
        if path == "/api/folders" and method == "POST":
            if not isinstance(body, dict) or not isinstance(body.get("title"), str) or set(body) - {"uid", "title", "parentUid"}:
                self.violations.append(f"POST /api/folders: body must be {{uid?, title, parentUid?}}, got {body!r}")
                return self._reply(h, 400, {"message": "bad request data"})
            uid = body.get("uid") or f"auto{len(self.folders)}"
            if uid in self.folders:
                return self._reply(h, 409, {"message": "a folder with the same uid already exists"})
            self.folders[uid] = {"id": len(self.folders) + 1, "uid": uid, "title": body["title"], "version": 1}
            return self._reply(h, 200, self.folders[uid])
        if path == "/api/dashboards/db" and method == "POST":
            return self._save_dashboard(h, body)
        self.violations.append(f"{method} {path}: not an endpoint the provisioner should call")
        return self._reply(h, 404, {"message": "Not found"})

    def _save_dashboard(self, h: BaseHTTPRequestHandler, body: Any) -> None:
        problems = []
        if not isinstance(body, dict):
            problems.append("body is not an object")
        else:
            if set(body) - DASHBOARD_BODY_KEYS:
                problems.append(f"unknown keys {sorted(set(body) - DASHBOARD_BODY_KEYS)}")
            board = body.get("dashboard")
            if not isinstance(board, dict) or not board.get("uid") or not board.get("title"):
                problems.append("dashboard must be an object with uid and title")
            elif len(board["uid"]) > 40:
                problems.append("dashboard uid longer than 40 characters")
            if "folderUid" in body and body["folderUid"] not in self.folders:
                return self._reply(h, 400, {"message": "folder not found"})
            if not isinstance(body.get("overwrite", False), bool):
                problems.append("overwrite must be a boolean")
        if problems:
            self.violations += [f"POST /api/dashboards/db: {p}" for p in problems]
            return self._reply(h, 400, {"message": "; ".join(problems)})
        board = body["dashboard"]
        old = self.dashboards.get(board["uid"])
        if old and not body.get("overwrite"):
            return self._reply(h, 412, {"message": "The dashboard has been changed by someone else",
                                        "status": "version-mismatch"})
        version = (old["version"] + 1) if old else 1
        ident = old["id"] if old else len(self.dashboards) + 1
        self.dashboards[board["uid"]] = {"id": ident, "version": version, "dashboard": board,
                                         "folderUid": body.get("folderUid")}
        slug = re.sub(r"[^a-z0-9]+", "-", board["title"].lower()).strip("-")
        return self._reply(h, 200, {"id": ident, "uid": board["uid"], "url": f"/d/{board['uid']}/{slug}",
                                    "status": "success", "version": version, "slug": slug})

    @staticmethod
    def _reply(h: BaseHTTPRequestHandler, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)
