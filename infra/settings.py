"""The platform's one settings object, read from ``CSPR_*`` environment variables.

Environment first, then a ``.env`` file in the working directory, then the local defaults
below (the embedded mode). A missing or malformed setting fails at start-up with a message
that names the variable, never later with a traceback.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas.errors import CsprError
from schemas.partners import UnknownAuthority, authority_of, topic_suffix


class SettingsError(CsprError):
    """A setting is missing or malformed."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CSPR_", env_file=".env", env_file_encoding="utf-8", extra="ignore",
        validate_default=True,
    )

    # --- where the platform keeps its local state (embedded broker logs, chDB, outputs) ---
    data_dir: Path = Field(Path("data"), description="Embedded mode's data folder (chDB files, outputs).")

    # --- Kafka ---
    kafka_bootstrap_servers: str = Field(
        "embedded", description="host:port[,host:port]; 'embedded' starts Apache Kafka (KRaft, one node) on loopback, its log under the data folder."
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL", "SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = "SCRAM-SHA-512"
    kafka_username: str | None = None
    kafka_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = None
    topic_inbound: str = "cspr.events.inbound"
    topic_events: str = "cspr.events"
    topic_dlq: str = "cspr.events.dlq"
    topic_partitions: int = Field(4, ge=1, le=256)
    topic_replication_factor: int = Field(1, ge=1, le=5)
    kafka_connect_timeout_s: float = Field(15.0, gt=0, description="Bounded wait for a broker.")

    # --- ClickHouse ---
    clickhouse_url: str = Field(
        "chdb", description="'chdb' (in-process, files under data_dir), chdb:///path, or "
        "http(s)://user:password@host:port for a ClickHouse server.",
    )
    clickhouse_database: str = "cspr"

    # --- partners ---
    partner_secret: SecretStr | None = Field(
        None, description="The partner's key for deriving child references (HMAC-SHA256)."
    )
    partner_token: SecretStr | None = Field(
        None, description="The partner's bearer token for the HTTP gateway (safeguarding produce --http)."
    )

    partners: str = Field(
        "", description="The Kafka partners, comma-separated LA codes or 'panel' (E06000001,panel): the worker's "
        "relay reads each one's own topic <inbound>.<code>, subscribed when the worker starts (a new partner: "
        "restart the worker).")

    # --- HTTP gateway (producers/gateway) ---
    gateway_credentials: Path | None = Field(
        None, description="The gateway's token file: one 'key_id authority sha256:hash' line per token."
    )
    gateway_host: str = "127.0.0.1"
    gateway_port: int = Field(8088, ge=0, le=65535)
    gateway_max_body_bytes: int = Field(8 * 1024 * 1024, ge=1024, description="Largest request body.")
    gateway_max_batch_events: int = Field(5000, ge=1, description="Most events in one batched request.")
    gateway_rate_events_per_s: float = Field(
        5000.0, gt=0, description="Each partner's sustained event rate, per gateway instance (N instances: N times).")
    gateway_rate_burst: int = Field(
        20000, ge=1, description="Events a partner may send at once above the rate, per gateway instance.")

    # --- stream ---
    worker_web_port: int = Field(6066, ge=0, le=65535)

    # --- viewers ---
    suppression_threshold: int = Field(2, ge=0, description="LA counts 1..threshold show as 'c'.")
    grafana_url: str = "http://localhost:3000"
    grafana_token: SecretStr | None = None
    analyst_token: SecretStr | None = Field(
        None, description="Bearer token of the worker's analyst views (exact figures, overdue cases); "
        "unset: no analyst view.",
    )

    @field_validator("clickhouse_url")
    @classmethod
    def _known_warehouse(cls, v: str) -> str:
        if v == "chdb" or v.startswith(("chdb://", "http://", "https://")):
            return v
        raise ValueError("must be 'chdb', chdb:///path, or an http(s):// URL of a ClickHouse server")

    @field_validator("kafka_ssl_cafile")
    @classmethod
    def _cafile_exists(cls, v: Path | None) -> Path | None:
        # Here, not when a Kafka client builds its TLS context: a service fails at start-up.
        if v is not None and not v.is_file():
            raise ValueError("no such CA file")
        return v

    @field_validator("kafka_bootstrap_servers")
    @classmethod
    def _servers(cls, v: str) -> str:
        if v == "embedded":
            return v
        for part in v.split(","):
            host, _, port = part.strip().rpartition(":")
            if not host or not port.isdigit():
                raise ValueError("must be 'embedded' or host:port[,host:port]")
        return v

    @field_validator("partners")
    @classmethod
    def _partner_codes(cls, v: str) -> str:
        codes: list[str] = []
        for entry in v.replace(",", " ").split():
            try:
                code = topic_suffix(authority_of(entry))
            except UnknownAuthority as exc:
                raise ValueError(str(exc)) from None
            if code not in codes:
                codes.append(code)
        return ",".join(codes)

    @property
    def partner_codes(self) -> tuple[str, ...]:
        """The Kafka partners' codes (``E06000001``, ``panel``), each once, as configured."""
        return tuple(self.partners.split(",")) if self.partners else ()

    @property
    def embedded_broker(self) -> bool:
        return self.kafka_bootstrap_servers == "embedded"

    def chdb_path(self) -> Path:
        """Where the in-process warehouse keeps its files."""
        if self.clickhouse_url.startswith("chdb://"):
            return Path(self.clickhouse_url[len("chdb://"):] or self.data_dir / "warehouse")
        return self.data_dir / "warehouse"


def load_settings(**overrides: object) -> Settings:
    """Read the settings, or raise ``SettingsError`` naming each bad variable, on one line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            name = "CSPR_" + "_".join(str(p) for p in err["loc"]).upper()
            message = err["msg"].removeprefix("Value error, ")
            shown = "" if any(word in name for word in _SECRET_WORDS) else f" (got {err['input']!r})"
            problems.append(f"{name}: {message[:1].lower()}{message[1:]}{shown}")
        raise SettingsError("invalid setting " + "; ".join(problems)) from None


_SECRET_WORDS = ("PASSWORD", "SECRET", "TOKEN")


@lru_cache(maxsize=1)
def settings() -> Settings:
    return load_settings()
