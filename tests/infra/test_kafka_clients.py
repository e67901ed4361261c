"""One definition of the Kafka security options (``infra.kafka_clients``), in each client's
spelling: SASL for SASL_*, TLS for SSL and SASL_SSL — plain SSL included for Faust, whose copy of
the rule once left it out (the worker then spoke plaintext to a TLS listener)."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import faust
import pytest

from infra.kafka_clients import KafkaSecurity, aiokafka_options, faust_credentials, kafka_python_options
from infra.settings import load_settings

CA = Path(ssl.get_default_verify_paths().cafile or "/etc/ssl/certs/ca-certificates.crt")


def conf(protocol: str, **extra: Any) -> Any:
    return load_settings(kafka_security_protocol=protocol, kafka_username="svc-stream", kafka_password="s3cret",
                         kafka_ssl_cafile=CA if CA.exists() else None, **extra)


@pytest.mark.parametrize(("protocol", "sasl", "tls"), [
    ("PLAINTEXT", False, False), ("SASL_PLAINTEXT", True, False), ("SASL_SSL", True, True), ("SSL", False, True)])
def test_each_protocol_gets_sasl_and_tls_as_it_needs_in_every_client(protocol: str, sasl: bool, tls: bool) -> None:
    c = conf(protocol)
    sec = KafkaSecurity.of(c)
    assert (sec.sasl, sec.tls) == (sasl, tls)

    kp = kafka_python_options(c)
    assert kp["security_protocol"] == protocol
    assert ("sasl_plain_password" in kp) == sasl and ("ssl_cafile" in kp) == (tls and CA.exists())
    if sasl:
        assert (kp["sasl_mechanism"], kp["sasl_plain_username"], kp["sasl_plain_password"]) == (
            "SCRAM-SHA-512", "svc-stream", "s3cret")

    ak = aiokafka_options(c)
    assert ak["security_protocol"] == protocol
    assert ("sasl_plain_password" in ak) == sasl
    assert isinstance(ak.get("ssl_context"), ssl.SSLContext) == tls

    creds = faust_credentials(c)
    if protocol == "PLAINTEXT":
        assert creds is None
    elif protocol == "SSL":
        assert isinstance(creds, faust.SSLCredentials) and isinstance(creds.context, ssl.SSLContext)
    else:
        assert isinstance(creds, faust.SASLCredentials) and creds.protocol.value == protocol
        assert (creds.username, creds.password, creds.mechanism.value) == ("svc-stream", "s3cret", "SCRAM-SHA-512")


def test_tls_checks_the_broker_against_the_configured_ca() -> None:
    context = KafkaSecurity.of(conf("SSL")).ssl_context()
    assert context is not None and context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_a_missing_ca_file_fails_when_a_client_is_configured(tmp_path: Path) -> None:
    c = load_settings(kafka_security_protocol="SSL", kafka_ssl_cafile=tmp_path / "missing.pem")
    with pytest.raises((FileNotFoundError, OSError)):
        aiokafka_options(c)


@pytest.mark.parametrize("protocol", ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"])
def test_the_workers_faust_app_takes_the_one_definition(protocol: str) -> None:
    """The worker's Faust app gets its broker credentials from ``faust_credentials`` (its own copy
    used to ignore plain SSL)."""
    from streams.app import faust_settings

    c = conf(protocol)
    got, want = faust_settings(c)["broker_credentials"], faust_credentials(c)
    assert type(got) is type(want)
    if protocol == "SSL":
        assert type(got).__name__ == "SSLCredentials"
