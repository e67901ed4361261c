"""Run the dbt project (``dbt/``) in this process, on chDB or on a ClickHouse server.

dbt-clickhouse reaches ClickHouse through clickhouse-connect over HTTP. chDB is the same engine
in-process, reached through clickhouse-connect's ``chdb`` interface, and allows one data path per
process — so dbt must run in *this* process, on the client the rest of the process uses. The
hook: dbt-clickhouse's connection manager opens each connection with
``dbt.adapters.clickhouse.connections.get_db_client(credentials)``; for the duration of a run we
point that name at a factory returning ``ChdbClient``, a subclass of the adapter's own HTTP
wrapper whose only change is where its clickhouse-connect client comes from (and that closing
it leaves the shared chDB session open). Everything else (SQL, materialisations, tests) is the
adapter's unchanged code.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from infra.settings import Settings
from infra.settings import settings as current_settings
from infra.warehouse.client import chdb_client, uses_chdb, warehouse_path
from infra.warehouse.raw_store import check_database_name
from schemas.errors import CsprError

log = logging.getLogger(__name__)
_run_lock = threading.Lock()


class DbtError(CsprError):
    """dbt could not be started (a missing project, a bad argument)."""


@dataclass(frozen=True)
class DbtOutcome:
    success: bool
    result: Any  # dbtRunnerResult.result (RunExecutionResult, bool, ...)
    exception: BaseException | None


def project_dir() -> Path:
    """The dbt project folder: ``dbt/`` at the repository root, beside ``infra/``."""
    here = Path(str(resources.files("infra"))).resolve().parent / "dbt"
    if not (here / "dbt_project.yml").is_file():
        raise DbtError(f"the dbt project is missing: no dbt_project.yml in {here}")
    return here


def _chdb_db_client_factory(path: Path) -> Any:
    from dbt.adapters.clickhouse.httpclient import ChHttpClient

    class ChdbClient(ChHttpClient):
        """dbt-clickhouse's HTTP client wrapper, on the process's chDB session instead of HTTP."""

        def _create_client(self, credentials: Any) -> Any:
            return chdb_client(path)

        def close(self) -> None:  # the chDB session is the process's; it outlives dbt's connections
            pass

        def query(self, sql: str, **kwargs: Any) -> Any:
            kwargs.pop("query_id", None)  # a server-side tracing id; chDB has no query log to tag
            return super().query(sql, **kwargs)

        def command(self, sql: str, **kwargs: Any) -> Any:
            kwargs.pop("query_id", None)
            return super().command(sql, **kwargs)

    def get_db_client(credentials: Any) -> Any:
        return ChdbClient(credentials)

    return get_db_client


@contextlib.contextmanager
def _patched(env: dict[str, str], chdb_path: Path | None) -> Iterator[None]:
    import dbt.adapters.clickhouse.connections as connections
    import dbt.adapters.clickhouse.dbclient as dbclient

    # CSPR_RAW_DATABASE is always saved and restored: a build without it must not inherit the
    # raw database of the build before it
    saved_env = {k: os.environ.get(k) for k in (*env, "CSPR_RAW_DATABASE")}
    os.environ.pop("CSPR_RAW_DATABASE", None)
    saved_factory = connections.get_db_client
    os.environ.update(env)
    if chdb_path is not None:
        connections.get_db_client = _chdb_db_client_factory(chdb_path)
        # The adapter remembers which databases it has created per process; a test that drops a
        # database must not be told it still exists.
        dbclient._ensured_databases.clear()
    try:
        yield
    finally:
        connections.get_db_client = saved_factory
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_dbt(
    args: Sequence[str],
    *,
    settings: Settings | None = None,
    data_dir: Path | str | None = None,
    database: str | None = None,
    work_dir: Path | str | None = None,
    quiet: bool = False,
    raw_database: str | None = None,
    log_to_stderr: bool = False,
) -> DbtOutcome:
    """Run ``dbt <args>`` against the warehouse of these settings (chDB in-process, or a server).

    ``database`` overrides the settings' database (the raw store and the models share it);
    ``work_dir`` is where dbt writes target/ and logs/ (default ``<data_dir>/dbt``);
    ``raw_database`` is where the sources (the raw store) are, when the models are built in
    another database (a vintage); ``log_to_stderr`` sends dbt's console log to stderr, without
    colour, for commands whose stdout is their answer (JSON).
    """
    from dbt.cli.main import dbtRunner

    settings = settings or current_settings()
    database = check_database_name(database or settings.clickhouse_database)
    chdb = uses_chdb(settings, data_dir)
    # Absolute: dbt reads a relative DBT_TARGET_PATH/DBT_LOG_PATH from the project folder (dbt/),
    # so a relative --data-dir would put target/ and logs/ in the repository, not in the data folder.
    work = (Path(work_dir) if work_dir else Path(data_dir or settings.data_dir) / "dbt").absolute()
    own_help = any(arg in ("--help", "-h", "--version") for arg in args)
    if not own_help:  # dbt's help writes nothing; anything else logs and compiles under `work`
        work.mkdir(parents=True, exist_ok=True)
    env = {
        "CSPR_CLICKHOUSE_DATABASE": database,
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_SUPPRESS_VERSION_CHECK": "true",
    }
    if raw_database is not None:
        env["CSPR_RAW_DATABASE"] = check_database_name(raw_database)
    if not chdb:
        env.update(_server_env(settings.clickhouse_url))
    proj = project_dir()
    full = _with_default_vars(list(args), {"suppression_threshold": settings.suppression_threshold})
    if full and full[0] not in ("--help", "-h", "--version") and "--project-dir" not in full:
        full += ["--project-dir", str(proj)]
    if full and full[0] not in ("--help", "-h", "--version") and "--profiles-dir" not in full:
        full += ["--profiles-dir", str(proj)]
    if full and full[0] not in ("--help", "-h", "--version") and "--target" not in full and "-t" not in full:
        full += ["--target", "chdb" if chdb else "server"]
    if quiet and full and full[0] not in ("--help", "-h", "--version"):
        full = ["--quiet", *full]
    if log_to_stderr and full and full[0] not in ("--help", "-h", "--version"):
        full = ["--no-use-colors", *full]
    console = contextlib.redirect_stdout(sys.stderr) if log_to_stderr else contextlib.nullcontext()
    log.info("dbt %s", " ".join(full))
    with _run_lock, console, _patched(env, warehouse_path(settings, data_dir).resolve() if chdb else None):
        res = dbtRunner().invoke(full)
        # the dbt command is the first word that is not a global flag (--quiet, --no-use-colors)
        command = next((a for a in full if not a.startswith("-")), None)
        built = command in ("build", "run") and not {"--help", "-h"} & set(full)
        if res.success and built:
            _publish_viewer_tables(settings, data_dir, database, full)
    return DbtOutcome(bool(res.success), res.result, res.exception)


def _publish_viewer_tables(settings: Settings, data_dir: Path | str | None, database: str, full: list[str]) -> None:
    """Every build ends with the disclosure-control step: the viewer tables (``pub_*``) of the
    marts just built, suppressed with the threshold this build used. No build leaves the viewer
    tables of an older build beside newer marts."""
    import json

    from infra.warehouse.client import get_client
    from infra.warehouse.viewer import publish

    threshold = int(json.loads(full[full.index("--vars") + 1])["suppression_threshold"])
    publish(get_client(settings, data_dir), database, threshold)


def _with_default_vars(args: list[str], defaults: dict[str, Any]) -> list[str]:
    """Add the settings' values of project vars the caller did not give in --vars (so
    CSPR_SUPPRESSION_THRESHOLD reaches the marts however dbt is started)."""
    import json

    import yaml

    if not args or args[0] in ("--help", "-h", "--version"):
        return args
    given: dict[str, Any] = {}
    while "--vars" in args:  # each --vars given adds to (and overrides) the ones before
        i = args.index("--vars")
        if i + 1 >= len(args):
            raise DbtError("--vars needs a YAML dictionary, e.g. --vars '{as_of: 2021-03-31}'")
        try:
            more = yaml.safe_load(args[i + 1]) or {}
        except yaml.YAMLError as exc:
            raise DbtError(f"--vars is not YAML: {args[i + 1]!r} ({exc.__class__.__name__})") from None
        if not isinstance(more, dict):
            raise DbtError(f"--vars must be a YAML dictionary, got {args[i + 1]!r}")
        given.update(more)
        del args[i:i + 2]
    merged = {**defaults, **given}
    return [*args, "--vars", json.dumps(merged, default=str)]


def _server_env(url: str) -> dict[str, str]:
    from urllib.parse import unquote, urlparse

    p = urlparse(url)
    secure = p.scheme == "https"
    return {
        "CLICKHOUSE_HOST": p.hostname or "localhost",
        "CLICKHOUSE_PORT": str(p.port or (8443 if secure else 8123)),
        "CLICKHOUSE_USER": unquote(p.username or "default"),
        "CLICKHOUSE_PASSWORD": unquote(p.password or ""),
        "CLICKHOUSE_SECURE": "true" if secure else "false",
    }
