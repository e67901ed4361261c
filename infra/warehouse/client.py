"""One way to reach the warehouse: chDB in-process, or a ClickHouse server over HTTP(S).

chDB allows ONE data path per process for the life of the process, so the chDB client is cached
per path and a second, different path in the same process is refused with a clear error rather
than silently opening the wrong files.
"""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from infra.settings import Settings
from infra.settings import settings as current_settings
from schemas.errors import CsprError, ServiceUnavailable

_lock = threading.Lock()
_chdb_path: Path | None = None
_chdb_clients: dict[Path, Any] = {}


class WarehouseError(CsprError):
    """The warehouse was asked for something it cannot do (a second chDB path, a bad URL)."""


def warehouse_path(settings: Settings, data_dir: Path | str | None = None) -> Path:
    """The chDB folder: ``<data_dir>/warehouse`` when a data folder is given, else the settings'."""
    if data_dir is not None:
        return Path(data_dir) / "warehouse"
    return settings.chdb_path()


def uses_chdb(settings: Settings, data_dir: Path | str | None = None) -> bool:
    return data_dir is not None or not settings.clickhouse_url.startswith(("http://", "https://"))


def chdb_path_in_use() -> Path | None:
    """The chDB path this process has opened, if any."""
    return _chdb_path


def get_client(settings: Settings | None = None, data_dir: Path | str | None = None) -> Any:
    """A clickhouse-connect client for the warehouse of these settings (or of ``data_dir``).

    Raises ``ServiceUnavailable`` when the server cannot be reached, ``WarehouseError`` when a
    second chDB path is asked for in one process.
    """
    settings = settings or current_settings()
    if uses_chdb(settings, data_dir):
        return chdb_client(warehouse_path(settings, data_dir))
    return _http_client(settings.clickhouse_url, settings.clickhouse_database)


def chdb_client(path: Path) -> Any:
    global _chdb_path
    import clickhouse_connect

    path = path.resolve()
    with _lock:
        if _chdb_path is not None and path != _chdb_path:
            raise WarehouseError(
                f"chDB is already open at {_chdb_path} in this process and allows one data path per "
                f"process; cannot also open {path} (run it in another process)"
            )
        if path not in _chdb_clients:
            path.mkdir(parents=True, exist_ok=True)
            try:
                _chdb_clients[path] = clickhouse_connect.get_client(interface="chdb", path=str(path))
            except Exception as exc:  # chDB raises plain RuntimeErrors on a locked/corrupt folder
                raise ServiceUnavailable(f"cannot open the chDB warehouse at {path}: {exc}") from exc
            _chdb_path = path
        return _chdb_clients[path]


def _http_client(url: str, database: str) -> Any:
    import clickhouse_connect
    from clickhouse_connect.driver.exceptions import ClickHouseError

    parsed = urlparse(url)
    if not parsed.hostname:
        raise WarehouseError(f"CSPR_CLICKHOUSE_URL has no host: {url!r}")
    secure = parsed.scheme == "https"
    where = f"{parsed.scheme}://{parsed.hostname}:{parsed.port or (8443 if secure else 8123)}"
    # urllib3 and clickhouse-connect log each failed attempt as a WARNING with the whole
    # connection pool's repr; the error below says it once, in a line.
    quiet = [logging.getLogger(name) for name in ("urllib3", "clickhouse_connect")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.CRITICAL)
    try:
        return clickhouse_connect.get_client(
            host=parsed.hostname,
            port=parsed.port or (8443 if secure else 8123),
            username=unquote(parsed.username or "default"),
            password=unquote(parsed.password or ""),
            interface=parsed.scheme,
            connect_timeout=10,
        )
    except ClickHouseError as exc:
        raise ServiceUnavailable(f"cannot reach the ClickHouse server at {where} (CSPR_CLICKHOUSE_URL): "
                                 f"{_reason(exc)}") from exc
    finally:
        for logger, level in zip(quiet, levels, strict=True):
            logger.setLevel(level)


def _reason(exc: BaseException) -> str:
    """The cause of a failed connection in a few words, not urllib3's nested reprs."""
    text = str(exc)
    if found := re.search(r"Failed to resolve '([^']+)'", text):
        return f"cannot resolve the host name {found.group(1)}"
    if found := re.search(r"\[Errno -?\d+\] ([^'\")]+)", text):
        return found.group(1).strip().rstrip(".")
    if found := re.search(r"(timed out|Connection refused|Connection reset by peer)", text, re.IGNORECASE):
        return found.group(1)
    return text.splitlines()[0][:200] if text else type(exc).__name__
