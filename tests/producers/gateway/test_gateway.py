"""The HTTP way in and the partner binding, end to end on Apache Kafka: a real uvicorn server on
loopback -> Kafka -> the worker (with its partner relay) -> ClickHouse (chDB), then the partner
view served by ``safeguarding gateway serve`` (uvicorn in a child process: chDB allows one data
path per process) and opened in Chromium.

One broker, one worker, one gateway for the module; the tests run in order and share them:
1. the calibrated 2020 history, posted over HTTP by each authority with its own token, in file
   order, ends with the live figures of the reference calculator (the oracle the Kafka route is
   tested against in tests/streams/test_pipeline.py);
2. posting it all again changes nothing;
3. HTTP: another authority's source is refused 403 per event, bad input gets clear errors;
4. Kafka: another authority's source on a partner's own topic is dead-lettered by the relay;
5. each partner's view lists exactly its own dead letters, rapid reviews and empty fields, and
   nothing of another partner's; the HTML page shows them in Chromium.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings

from infra.brokers import free_port
from infra.settings import load_settings
from producers.gateway.credentials import Credentials, add_token
from producers.gateway.server import Running, build
from producers.reference.figures import compute_figures
from producers.reference.history import replay
from schemas.calendar import requested_completion_date
from schemas.figures import pct
from schemas.local_authorities import LOCAL_AUTHORITIES
from schemas.partners import partner_topic
from tests.fixtures.chromium import ARTIFACTS, chromium
from tests.streams import events as e

pytestmark = pytest.mark.integration

AS_OF = dt.date(2021, 3, 31)
STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
CASE_EXISTS_ID = "0c5e0000-0000-4000-8000-0000000000e5"


def _calibrated() -> list[bytes]:
    from producers.simulator.report_2020 import build as build_history

    return build_history(2020)


def _source(raw: bytes) -> str:
    return str(json.loads(raw)["source"])


ANALYST_TOKEN = "gateway-test-analyst"  # the worker serves exact figures to this bearer only

@dataclass
class Stack:
    bootstrap: str
    data_dir: Path
    credentials: Path
    worker: Any
    gateway: Running
    tokens: dict[str, str]                  # authority -> token
    a: str = ""                             # the two partners the view tests look at
    b: str = ""
    inbound: list[bytes] = field(default_factory=list)        # what reached the shared inbound topic, in order
    refused_on_topic: dict[str, list[tuple[str | None, str]]] = field(default_factory=dict)  # authority -> (id, reason)
    http: requests.Session = field(default_factory=requests.Session)

    def post(self, authority: str, body: Any, kind: str = BATCH, token: str | None = None,
             session: requests.Session | None = None) -> requests.Response:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return (session or self.http).post(f"{self.gateway.url}/events", data=data, timeout=60, headers={
            "Content-Type": kind, "Authorization": f"Bearer {token or self.tokens[authority]}"})

    def post_in_order(self, lines: list[bytes]) -> None:
        """Each partner posts its own events, in file order per Kafka partition of the inbound topic.

        Events are keyed by subject, so the worker sees each partition's events in the order they
        arrive; posting one partition's events in file order, one partition per thread, gives the
        worker exactly the input of the Kafka route (the SDK publishes the file in order). Within
        a partition each run of consecutive events of one authority is one batched request."""
        from concurrent.futures import ThreadPoolExecutor

        from kafka.partitioner.default import murmur2

        partitions = list(range(load_settings().topic_partitions))
        lanes: dict[int, list[bytes]] = {p: [] for p in partitions}
        for raw in lines:
            key = json.loads(raw)["subject"].encode()
            lanes[(murmur2(key) & 0x7FFFFFFF) % len(partitions)].append(raw)  # the producer's partitioner

        def post_lane(lane: list[bytes]) -> None:
            http = requests.Session()
            for source, run in itertools.groupby(lane, key=_source):
                batch = list(run)
                resp = self.post(source, [json.loads(raw) for raw in batch], session=http)
                assert resp.status_code == 200, resp.text
                body = resp.json()
                assert body["accepted"] == len(batch), [r for r in body["results"] if r["status"] != "accepted"][:3]

        with ThreadPoolExecutor(len(partitions)) as pool:
            list(pool.map(post_lane, lanes.values()))
        self.inbound += lines

    def status(self) -> dict[str, Any]:
        status = self.worker.status()
        assert status is not None
        return status

    def figures(self) -> dict[str, Any]:
        # the exact figures are the analyst's: a viewer's live view is suppressed (disclosure control)
        def get(path: str) -> Any:
            return self.worker.get(path, analyst_token=ANALYST_TOKEN)

        return {
            "period_change": get("/figures/period-change?from=2020-04-01&to=2020-09-30"),
            "timeliness": get(f"/figures/timeliness?year=2020&as_of={AS_OF}")["timeliness"],
            "bands": get("/figures/local-authorities?year=2020")["bands"],
            "notifications": get("/figures/notifications"),
        }


@pytest.fixture(scope="module")
def stack(kafka_broker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    from infra.stack.run import WorkerProcess
    from infra.topics import ensure_topics

    conf = load_settings()
    bootstrap = kafka_broker.bootstrap_servers
    ensure_topics(bootstrap, conf)
    lines = _calibrated()
    notifications = Counter(_source(raw) for raw in lines if b"incident.notified" in raw)
    (a, _), (b, _) = notifications.most_common(2)
    data_dir = tmp_path_factory.mktemp("gateway-stack")
    credentials = data_dir / "tokens"
    tokens = {}
    for la in [*(f"urn:cspr:la:{x.code}" for x in LOCAL_AUTHORITIES), "urn:cspr:panel"]:
        tokens[la] = add_token(credentials, la)[1]
    # the two partners also publish on their own Kafka topics (which the worker makes when it starts)
    worker = WorkerProcess(bootstrap, data_dir, data_dir / "worker.log",
                           env={"CSPR_ANALYST_TOKEN": ANALYST_TOKEN, "CSPR_PARTNERS": f"{a},{b}"})
    gateway = None
    try:
        worker.wait_ready(timeout_s=90)
        gateway = Running.start(build(conf, bootstrap_servers=bootstrap, credentials=Credentials(credentials),
                                      views=False))
        yield Stack(bootstrap, data_dir, credentials, worker, gateway, tokens, a, b)
    finally:
        if gateway is not None:
            gateway.stop()
        worker.stop()


@pytest.fixture(scope="module")
def calibrated(stack: Stack) -> list[bytes]:
    """The calibrated 2020 history, posted over HTTP by its partners and taken by the worker: once,
    for every test that reads it (whichever runs first, or alone)."""
    lines = _calibrated()
    started = time.monotonic()
    stack.post_in_order(lines)
    print(f"\n{len(lines)} events over HTTP in {time.monotonic() - started:.1f} s")
    stack.worker.wait_idle(len(lines), timeout_s=180)
    return lines


def test_the_calibrated_history_over_http_gives_the_oracles_figures(stack: Stack, calibrated: list[bytes]) -> None:
    want = compute_figures(calibrated, 2020, AS_OF)
    got = stack.figures()
    assert got["period_change"]["current"] == want["period_change"]["current"]
    assert got["period_change"]["previous"] == want["period_change"]["previous"]
    assert got["period_change"]["pct_change"] == want["period_change"]["pct_change"] == 27.0
    assert got["timeliness"] == want["rapid_review_timeliness"]
    assert got["bands"] == want["notifications_per_local_authority"]
    by_harm: Counter[str] = Counter()
    for month, row in got["notifications"]["by_month"].items():
        if month.startswith("2020"):
            by_harm.update({h: row[h] for h in ("death", "serious_harm", "other")})
    assert dict(by_harm) == {h: want["notifications"][h] for h in ("death", "serious_harm", "other")}


def test_posting_everything_again_changes_nothing(stack: Stack, calibrated: list[bytes]) -> None:
    before = stack.figures()
    consumed = stack.status()["consumed"]
    lines = calibrated
    by_source: dict[str, list[bytes]] = {}
    for raw in lines:
        by_source.setdefault(_source(raw), []).append(raw)
    for source, batch in by_source.items():  # all duplicates: the order no longer matters
        resp = stack.post(source, [json.loads(raw) for raw in batch])
        assert resp.status_code == 200 and resp.json()["accepted"] == len(batch), resp.text[:500]
    stack.inbound += lines
    status = stack.worker.wait_idle(consumed + len(lines), timeout_s=180)
    assert status["duplicates"] >= len(lines) - 16
    assert stack.figures() == before


def test_over_http_another_authoritys_source_is_refused_and_bad_input_is_answered_clearly(stack: Stack) -> None:
    a, b = stack.a, stack.b
    la_a, la_b = a.rsplit(":", 1)[1], b.rsplit(":", 1)[1]
    # structured mode, one event claiming B, sent with A's token
    theirs = json.loads(e.notified("SIN-2021-900001", time="2021-01-05T10:00:00Z", notified_date="2021-01-05", la=la_b))
    resp = stack.post(a, json.dumps(theirs).encode(), STRUCTURED)
    assert resp.status_code == 403
    body = resp.json()
    assert body["status"] == "rejected" and body["reason"] == "source_not_authorised" and body["id"] == theirs["id"]
    assert body["problems"][0]["path"] == "source" and a in body["problems"][0]["message"]
    # batched mode: a good event, another authority's, one breaking the contract: answered each
    existing_a = next(json.loads(raw) for raw in _calibrated() if _source(raw) == a and b"incident.notified" in raw)
    mine = json.loads(e.notified("SIN-2021-900002", time="2021-01-05T10:00:00Z", notified_date="2021-01-05", la=la_a))
    again = {**existing_a, "id": CASE_EXISTS_ID, "time": "2021-01-06T10:00:00Z"}  # accepted, then case_exists
    broken = {**mine, "id": str(uuid.uuid4()), "data": {**mine["data"], "imd_quintile": 9}}
    resp = stack.post(a, [mine, theirs, broken, again])
    assert resp.status_code == 200
    results = resp.json()["results"]
    assert [(r["status"], r["http_status"]) for r in results] == [
        ("accepted", 202), ("rejected", 403), ("rejected", 400), ("accepted", 202)]
    assert results[0]["topic"] == "cspr.events.inbound" and isinstance(results[0]["offset"], int)
    assert results[2]["reason"] == "schema_violation" and results[2]["problems"][0]["path"] == "data.imd_quintile"
    stack.inbound += [json.dumps(mine).encode(), json.dumps(again).encode()]
    # the same event posted twice: accepted twice by the broker, counted once downstream
    assert stack.post(a, json.dumps(mine).encode(), STRUCTURED).status_code == 202
    stack.inbound.append(json.dumps(mine).encode())
    # the panel's token cannot write an LA's events, nor an LA's the Panel's
    assert stack.post("urn:cspr:panel", json.dumps(mine).encode(), STRUCTURED).status_code == 403
    url = f"{stack.gateway.url}/events"
    assert requests.post(url, data=b"{}", headers={"Content-Type": STRUCTURED}, timeout=10).status_code == 401
    assert stack.post(a, b"{}", STRUCTURED, token="cspr_00000000_" + "x" * 43).status_code == 401
    wrong = stack.post(a, b"{}", "application/json")
    assert wrong.status_code == 415 and "application/cloudevents+json" in wrong.json()["message"]
    assert stack.post(a, b"[1, 2", BATCH).json()["error"] == "invalid_json"
    assert stack.post(a, b"{}", BATCH).json()["error"] == "not_a_batch"
    huge = stack.post(a, b"[" + b" " * (9 * 1024 * 1024) + b"]", BATCH)
    assert huge.status_code == 413 and huge.json()["error"] == "body_too_large"
    stack.worker.wait_idle(0, timeout_s=60)


def test_each_partner_has_its_own_rate_limit(stack: Stack) -> None:
    conf = load_settings(gateway_rate_events_per_s=0.5, gateway_rate_burst=2)
    gateway = Running.start(build(conf, bootstrap_servers=stack.bootstrap, credentials=Credentials(stack.credentials),
                                  views=False))
    try:
        url = f"{gateway.url}/events"
        headers = {"Content-Type": BATCH}
        broken = json.dumps([{"type": "nothing"}, {"type": "nothing"}]).encode()  # counted, then refused: never sent
        first = requests.post(url, data=broken, timeout=30, headers={**headers, "Authorization": f"Bearer {stack.tokens[stack.a]}"})
        assert first.status_code == 200 and first.json()["rejected"] == 2
        limited = requests.post(url, data=broken, timeout=30, headers={**headers, "Authorization": f"Bearer {stack.tokens[stack.a]}"})
        assert limited.status_code == 429 and limited.json()["error"] == "rate_limited"
        assert 1 <= int(limited.headers["Retry-After"]) <= 4
        other = requests.post(url, data=broken, timeout=30, headers={**headers, "Authorization": f"Bearer {stack.tokens[stack.b]}"})
        assert other.status_code == 200  # another partner's bucket is its own
        too_many = requests.post(url, data=json.dumps([{}] * 3).encode(), timeout=30,
                                 headers={**headers, "Authorization": f"Bearer {stack.tokens['urn:cspr:panel']}"})
        assert too_many.status_code == 413 and too_many.json()["error"] == "batch_too_large"
    finally:
        gateway.stop()


def test_on_kafka_another_authoritys_source_on_a_partners_own_topic_is_dead_lettered(stack: Stack) -> None:
    from kafka import KafkaProducer

    a, b = stack.a, stack.b
    la_a, la_b = a.rsplit(":", 1)[1], b.rsplit(":", 1)[1]
    topic_a = partner_topic("cspr.events.inbound", a)
    mine = e.notified("SIN-2021-900003", time="2021-01-07T10:00:00Z", notified_date="2021-01-07", la=la_a)
    theirs = e.notified("SIN-2021-900004", time="2021-01-07T10:00:00Z", notified_date="2021-01-07", la=la_b)
    before = stack.status()
    producer = KafkaProducer(bootstrap_servers=stack.bootstrap, acks="all")
    for raw in (mine, theirs, b"{not json"):
        producer.send(topic_a, value=raw, key=b"k")
    producer.flush()
    producer.close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = stack.status()
        if status["consumed"] >= before["consumed"] + 1 and status["dead_lettered"] >= before["dead_lettered"] + 2:
            break
        time.sleep(0.2)
    status = stack.worker.wait_idle(before["consumed"] + 1, timeout_s=60)
    assert status["accepted"] == before["accepted"] + 1
    refused = Counter(status["dead_lettered_by_reason"]) - Counter(before["dead_lettered_by_reason"])
    assert refused == Counter({"source_not_authorised": 1, "invalid_json": 1})
    stack.inbound.append(mine)
    stack.refused_on_topic[a] = [(json.loads(theirs)["id"], "source_not_authorised"), (None, "invalid_json")]


def test_the_sdk_publishes_over_http_and_reports_each_refusal_by_line(stack: Stack, tmp_path: Path) -> None:
    a, b = stack.a, stack.b
    la_a, la_b = a.rsplit(":", 1)[1], b.rsplit(":", 1)[1]
    mine = e.notified("SIN-2021-900005", time="2021-01-08T10:00:00Z", notified_date="2021-01-08", la=la_a)
    theirs = e.notified("SIN-2021-900006", time="2021-01-08T10:00:00Z", notified_date="2021-01-08", la=la_b)
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join([mine, theirs, b'{"type": "uk.gov.cspr.incident.notified.v1"}']) + b"\n")
    before = stack.status()
    proc = subprocess.run([sys.executable, "-m", "infra.cli", "produce", str(path), "--http", stack.gateway.url,
                           "--no-progress"], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "CSPR_PARTNER_TOKEN": stack.tokens[a]})
    assert proc.returncode == 1, proc.stderr
    assert "1 sent, 2 invalid, 0 failed" in proc.stdout
    assert f"line 2: source_not_authorised: source: this partner is bound to '{a}'" in proc.stderr
    assert "line 3: schema_violation" in proc.stderr
    stack.inbound.append(mine)
    status = stack.worker.wait_idle(before["consumed"] + 1, timeout_s=60)
    assert status["accepted"] == before["accepted"] + 1
    no_token = subprocess.run([sys.executable, "-m", "infra.cli", "produce", str(path), "--http", stack.gateway.url],
                              capture_output=True, text=True, timeout=60,
                              env={k: v for k, v in os.environ.items() if k != "CSPR_PARTNER_TOKEN"})
    assert no_token.returncode == 2 and "CSPR_PARTNER_TOKEN" in no_token.stderr
    assert "Traceback" not in no_token.stderr


@pytest.fixture(scope="module")
def views(stack: Stack, calibrated: list[bytes]) -> Iterator[str]:
    """The worker stopped (it holds chDB) once it has taken at least the calibrated history, then
    ``safeguarding gateway serve`` on its warehouse."""
    stack.worker.wait_idle(0, timeout_s=60)
    stack.worker.stop()
    port = free_port()
    log = (stack.data_dir / "gateway.log").open("ab")
    proc = subprocess.Popen([sys.executable, "-m", "infra.cli", "gateway", "serve", "--port", str(port),
                             "--bootstrap-servers", stack.bootstrap, "--credentials", str(stack.credentials),
                             "--data-dir", str(stack.data_dir)], stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "CSPR_CLICKHOUSE_URL": "chdb"}, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (stack.data_dir / "gateway.log").read_text()[-2000:]
            try:
                if requests.get(f"{url}/healthz", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "the gateway did not start"
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()


def _expected_dead_letters(stack: Stack, authority: str) -> Counter[tuple[str | None, str]]:
    oracle = replay(stack.inbound)
    want: Counter[tuple[str | None, str]] = Counter((str(json.loads(r.raw)["id"]).lower(), r.reason)
                                                    for r in oracle.rejected
                   if _source(r.raw) == authority)
    want.update(stack.refused_on_topic.get(authority, []))
    return want


def _get(stack: Stack, url: str, authority: str) -> Any:
    resp = requests.get(url, headers={"Authorization": f"Bearer {stack.tokens[authority]}"}, timeout=120)
    assert resp.status_code == 200, resp.text[:1000]
    return resp.json()


def test_each_partner_sees_exactly_its_own_dead_letters_and_events(stack: Stack, views: str) -> None:
    oracle = replay(stack.inbound)
    for authority in (stack.a, stack.b):
        got = _get(stack, f"{views}/partner/events?limit=10000", authority)
        assert got["authority"] == authority
        dead = Counter((d["id"], d["reason"]) for d in got["dead_letters"])
        assert dead == _expected_dead_letters(stack, authority)
        for d in got["dead_letters"]:
            assert d["problems"] or d["detail"]
        accepted = {a["id"] for a in got["accepted"]}
        assert accepted == {a.event.id.lower() for a in oracle.accepted if a.event.source == authority}
    mine = _get(stack, f"{views}/partner/events?limit=10000", stack.a)
    assert (CASE_EXISTS_ID, "case_exists") in {(d["id"], d["reason"]) for d in mine["dead_letters"]}
    theirs_id = stack.refused_on_topic[stack.a][0][0]
    # what A sent claiming B is A's dead letter, never B's
    assert theirs_id not in {d["id"] for d in _get(stack, f"{views}/partner/events", stack.b)["dead_letters"]}
    one = _get(stack, f"{views}/partner/events/{theirs_id}", stack.a)
    assert one["status"] == "dead_lettered" and one["dead_letters"][0]["problems"][0]["path"] == "source"
    some_b = next(a.event.id for a in oracle.accepted if a.event.source == stack.b)
    assert _get(stack, f"{views}/partner/events/{some_b}", stack.a)["status"] == "not_stored"  # not A's to see
    assert _get(stack, f"{views}/partner/events/{some_b}", stack.b)["status"] == "accepted"
    assert requests.get(f"{views}/partner/events", timeout=10).status_code == 401


def test_a_partners_rapid_reviews_and_data_quality_are_its_own(stack: Stack, views: str) -> None:
    oracle = replay(stack.inbound)
    a = stack.a
    got = _get(stack, f"{views}/partner/rapid-reviews?as_of={AS_OF}", a)
    # independently of the view: A's live cases at T, and which have no review yet
    notified = {x.event.subject: x.event for x in oracle.accepted
                if x.event.short_type == "incident.notified" and x.event.source == a and x.event.time.date() <= AS_OF}
    withdrawn = {x.event.subject for x in oracle.accepted if x.event.short_type == "incident.withdrawn"
                 and x.event.time.date() <= AS_OF}
    reviewed = {x.event.subject for x in oracle.accepted if x.event.short_type == "rapid_review.submitted"
                and x.event.time.date() <= AS_OF}
    waiting = {s: n for s, n in notified.items() if s not in withdrawn and s not in reviewed}
    assert notified, "partner A has cases"
    overdue = {s for s, n in waiting.items() if requested_completion_date(n.data.notified_date) < AS_OF}
    assert {r["subject"] for r in got["overdue"]} == overdue
    assert {r["subject"] for r in got["due"]} == set(waiting) - overdue
    assert got["received"] == len([s for s in notified if s not in withdrawn and s in reviewed])

    quality = _get(stack, f"{views}/partner/data-quality", a)
    texts = {x.event.subject: x.raw for x in oracle.accepted
             if x.event.short_type == "incident.notified" and x.event.source == a}
    children = [c for raw in texts.values() for c in json.loads(raw)["data"]["children"]]
    empty = sum(1 for c in children if c["ethnicity"] is None)
    assert quality["notifications"] == len(texts)
    by_field = {f["field"]: f for f in quality["fields_most_often_missing"]}
    if empty:
        assert by_field["children[].ethnicity"]["missing"] == empty
        assert by_field["children[].ethnicity"]["of"] == len(children)
        assert by_field["children[].ethnicity"]["missing_pct"] == pct(empty, len(children))  # the report's rule
    else:
        assert "children[].ethnicity" not in by_field


def test_the_partner_page_in_chromium_lists_its_dead_letters_and_nothing_of_another_partners(
        stack: Stack, views: str, tmp_path: Path) -> None:
    # a staff member signs in with the form (the token goes in a cookie for /partner only)
    signin = tmp_path / "signin.html"
    signin.write_text(f"""<!doctype html><form method="post" action="{views}/partner/login">
<input name="token" value="{stack.tokens[stack.a]}"></form><script>document.forms[0].submit()</script>""")

    def signed_in(*args: str) -> subprocess.CompletedProcess[str]:
        return chromium("--virtual-time-budget=15000", *args, signin.as_uri(), tmp=tmp_path, check=False)

    proc = signed_in("--dump-dom")
    dom = proc.stdout
    assert f"{stack.a}: what became of your events" in dom, (proc.stderr[-2000:], dom[:1000])
    rows = re.findall(r'<tr data-event-id="([^"]*)"', dom)
    want = _expected_dead_letters(stack, stack.a)
    assert Counter(r or None for r in rows) == Counter(i for i, _ in want.elements())
    count = re.search(r'id="dead-letter-count">(\d+)<', dom)
    assert count is not None and int(count[1]) == sum(want.values())
    others = _expected_dead_letters(stack, stack.b)
    assert not {i for i, _ in others if i} & set(rows)
    b_cases = {x.event.subject for x in replay(stack.inbound).accepted if x.event.source == stack.b}
    assert not {s for s in b_cases if s in dom}
    # a screenshot for a person to look at (tests/artifacts/ is not committed)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "partner-page.png"
    shot.unlink(missing_ok=True)
    signed_in("--window-size=1280,2400", "--hide-scrollbars", f"--screenshot={shot}")
    assert shot.exists() and shot.stat().st_size > 20_000


def test_the_gateway_keeps_its_openapi_document(stack: Stack, views: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests generated from the OpenAPI document (a bounded number per operation) are answered
    as documented (status, content type, body schema), never with a server error.

    Not checked: that a schema-valid body is accepted (ST202). The document gives an event as "a
    JSON object" (its JSON Schema per type is in schemas/json/), and even those schemas cannot
    say the contract's cross-field rules, so a generated event is rightly refused 400.
    """
    import schemathesis
    import schemathesis.transport.requests as transport
    from hypothesis import given
    from schemathesis.core.result import Ok
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    # schemathesis counts a requests session's pooled connections through urllib3's PoolManager;
    # urllib3-future (which grafana-client's niquests installs in urllib3's place) keeps them in
    # another container. The count only decides whether to re-send a request a server dropped.
    monkeypatch.setattr(transport, "_count_opened_connections", lambda session: 0)

    schema = schemathesis.openapi.from_url(f"{views}/openapi.json")
    headers = {"Authorization": f"Bearer {stack.tokens[stack.a]}"}
    results = list(schema.get_all_operations())
    assert all(isinstance(result, Ok) for result in results), results
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert {op.path for op in operations} >= {"/events", "/partner/events", "/partner/rapid-reviews"}
    for operation in operations:
        @given(case=operation.as_strategy())
        @hypothesis_settings(max_examples=15, deadline=None, derandomize=True, database=None,
                             suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
        def answered_as_documented(case: Any) -> None:
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        answered_as_documented()
