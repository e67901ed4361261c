"""The gateway served over TLS exactly as docker-compose.yml serves it.

The compose service's own command (``gateway serve --host 0.0.0.0 --port 8443 --ssl-certfile
... --ssl-keyfile ...``, run by the image's ``safeguarding`` entrypoint) is read from
docker-compose.yml and run here, with only the address and the certificate paths changed, on a
throwaway certificate signed by a throwaway CA (``openssl``): a partner that trusts the CA
publishes over https; plain http to the TLS port gets no HTTP answer; a client that does not
trust the CA is refused by its own TLS check.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from infra.brokers import free_port
from infra.settings import load_settings
from producers.gateway.credentials import add_token
from tests.conftest import unavailable
from tests.streams import events as e

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
STRUCTURED = "application/cloudevents+json"


def _openssl(*args: str, cwd: Path) -> None:
    proc = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """(CA certificate, server certificate for 127.0.0.1 and localhost, its key), one day long."""
    if shutil.which("openssl") is None:
        unavailable("the openssl command is missing")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=CSPR test CA",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             cwd=folder)
    _openssl("req", *ec, "-keyout", "gateway.key", "-out", "gateway.csr", "-subj", "/CN=127.0.0.1", cwd=folder)
    (folder / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                                    "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
                                    "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
    _openssl("x509", "-req", "-in", "gateway.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-set_serial", "1",
             "-days", "1", "-extfile", "ext.cnf", "-out", "gateway.crt", cwd=folder)
    return folder / "ca.crt", folder / "gateway.crt", folder / "gateway.key"


def compose_command(port: int, cert: Path, key: Path) -> list[str]:
    """The compose gateway's command, listening on loopback:port with this certificate."""
    service = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["gateway"]
    replace = {"0.0.0.0": "127.0.0.1", "8443": str(port), "/cspr/tls/gateway.crt": str(cert),
               "/cspr/tls/gateway.key": str(key)}
    command = [replace.get(arg, arg) for arg in service["command"]]
    assert {str(cert), str(key), str(port), "127.0.0.1"} <= set(command), (
        f"the compose command changed shape ({service['command']}): update this test")
    return command


@dataclass
class TlsGateway:
    url: str
    port: int
    ca: Path
    token: str
    authority: str


@pytest.fixture(scope="module")
def tls_gateway(kafka_broker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsGateway]:
    from infra.topics import ensure_topics

    ensure_topics(kafka_broker.bootstrap_servers, load_settings())
    folder = tmp_path_factory.mktemp("gateway-tls")
    ca, cert, key = make_certificates(folder)
    tokens = folder / "gateway-tokens"
    token = add_token(tokens, "E06000001")[1]
    port = free_port()
    log = (folder / "gateway.log").open("wb")
    # the compose service's environment, as far as it applies here: its token file, a broker
    # (PLAINTEXT here), a ClickHouse server (none here: the views answer 503)
    env = {**os.environ, "CSPR_GATEWAY_CREDENTIALS": str(tokens),
           "CSPR_KAFKA_BOOTSTRAP_SERVERS": kafka_broker.bootstrap_servers,
           "CSPR_CLICKHOUSE_URL": f"http://127.0.0.1:{free_port()}"}
    proc = subprocess.Popen([sys.executable, "-m", "infra.cli", *compose_command(port, cert, key)],
                            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"https://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (folder / "gateway.log").read_text()[-2000:]
            try:
                if requests.get(f"{url}/healthz", timeout=2, verify=str(ca)).ok:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "the TLS gateway did not start"
            time.sleep(0.2)
        yield TlsGateway(url, port, ca, token, "urn:cspr:la:E06000001")
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()


def test_a_partner_trusting_the_ca_publishes_over_https(tls_gateway: TlsGateway) -> None:
    event = e.notified("SIN-2021-950001", time="2021-01-05T10:00:00Z", notified_date="2021-01-05", la="E06000001")
    resp = requests.post(f"{tls_gateway.url}/events", data=event, timeout=60, verify=str(tls_gateway.ca),
                         headers={"Content-Type": STRUCTURED, "Authorization": f"Bearer {tls_gateway.token}"})
    assert resp.status_code == 202, resp.text
    body = resp.json()
    assert body["status"] == "accepted" and body["id"] == json.loads(event)["id"]
    assert body["topic"] == "cspr.events.inbound" and isinstance(body["offset"], int)
    # the sign-in cookie of the partner page is sent back over TLS only
    login = requests.post(f"{tls_gateway.url}/partner/login", data={"token": tls_gateway.token}, timeout=30,
                          verify=str(tls_gateway.ca), allow_redirects=False)
    assert login.status_code == 303
    assert "secure" in login.headers["set-cookie"].lower().split("; ")


def test_plain_http_to_the_tls_port_gets_no_http_answer(tls_gateway: TlsGateway) -> None:
    event = e.notified("SIN-2021-950002", time="2021-01-05T10:00:00Z", notified_date="2021-01-05", la="E06000001")
    with pytest.raises(requests.ConnectionError):
        requests.post(f"http://127.0.0.1:{tls_gateway.port}/events", data=event, timeout=30,
                      headers={"Content-Type": STRUCTURED, "Authorization": f"Bearer {tls_gateway.token}"})


def test_a_client_that_does_not_trust_the_ca_refuses_the_connection(tls_gateway: TlsGateway) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{tls_gateway.url}/healthz", timeout=30)  # the system's CAs only
