"""The Kafka security options of every client, from the one set of ``CSPR_KAFKA_*`` settings.

The platform talks to Kafka through three client libraries: kafka-python (the partners' SDK, the
topic admin, ``up``), aiokafka (the stream's own consumers and producers) and Faust (the worker's
app). Which options a protocol needs is decided once, in ``KafkaSecurity``; each library gets them
in its own spelling:

| protocol | SASL (mechanism, username, password) | TLS (the CA of ``CSPR_KAFKA_SSL_CAFILE``, else the system's) |
| --- | --- | --- |
| PLAINTEXT | no | no |
| SASL_PLAINTEXT | yes | no |
| SASL_SSL | yes | yes |
| SSL | no | yes |
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.settings import Settings


@dataclass(frozen=True)
class KafkaSecurity:
    protocol: str
    sasl_mechanism: str | None = None
    username: str | None = None
    password: str | None = None
    cafile: Path | None = None

    @classmethod
    def of(cls, conf: Settings) -> KafkaSecurity:
        protocol = conf.kafka_security_protocol
        sasl = protocol in ("SASL_PLAINTEXT", "SASL_SSL")
        return cls(
            protocol=protocol,
            sasl_mechanism=conf.kafka_sasl_mechanism if sasl else None,
            username=conf.kafka_username if sasl else None,
            password=(conf.kafka_password.get_secret_value() if conf.kafka_password else None) if sasl else None,
            cafile=conf.kafka_ssl_cafile if protocol in ("SSL", "SASL_SSL") else None,
        )

    @property
    def sasl(self) -> bool:
        return self.protocol in ("SASL_PLAINTEXT", "SASL_SSL")

    @property
    def tls(self) -> bool:
        return self.protocol in ("SSL", "SASL_SSL")

    def ssl_context(self) -> ssl.SSLContext | None:
        """A TLS context that checks the broker against the CA (None without TLS)."""
        if not self.tls:
            return None
        return ssl.create_default_context(cafile=str(self.cafile) if self.cafile else None)

    def sasl_options(self) -> dict[str, Any]:
        if not self.sasl:
            return {}
        return {"sasl_mechanism": self.sasl_mechanism, "sasl_plain_username": self.username,
                "sasl_plain_password": self.password}


def kafka_python_options(conf: Settings) -> dict[str, Any]:
    """kafka-python's (``KafkaProducer``, ``KafkaConsumer``, ``KafkaAdminClient``)."""
    sec = KafkaSecurity.of(conf)
    options: dict[str, Any] = {"security_protocol": sec.protocol, **sec.sasl_options()}
    if sec.tls and sec.cafile:
        options["ssl_cafile"] = str(sec.cafile)
    return options


def aiokafka_options(conf: Settings) -> dict[str, Any]:
    """aiokafka's (``AIOKafkaConsumer``, ``AIOKafkaProducer``, ``AIOKafkaAdminClient``)."""
    sec = KafkaSecurity.of(conf)
    options: dict[str, Any] = {"security_protocol": sec.protocol, **sec.sasl_options()}
    if sec.tls:
        options["ssl_context"] = sec.ssl_context()
    return options


def faust_credentials(conf: Settings) -> Any:
    """Faust's ``broker_credentials``: SASL (with TLS for SASL_SSL), TLS alone for SSL, else None."""
    import faust

    sec = KafkaSecurity.of(conf)
    if sec.sasl:
        return faust.SASLCredentials(username=sec.username or "", password=sec.password or "",
                                     mechanism=sec.sasl_mechanism, ssl_context=sec.ssl_context())
    if sec.tls:
        return faust.SSLCredentials(sec.ssl_context())
    return None
