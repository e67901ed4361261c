"""Each partner's own view under ``safeguarding up``, the embedded stack as an operator runs it.

The worker owns the chDB folder, so the gateway (a thread of ``up``) asks the worker for a
partner's view over loopback, forwarding the partner's token (``streams.partner_views``). Here:
one ``up`` subprocess (real Kafka, the real worker, the real uvicorn gateway); two partners
publish over HTTP (good events, a duplicate notification the stream dead-letters, an event held
for a notification that never comes, events the gateway refuses) and on partner A's own Kafka
topic (another authority's source, not JSON). Then each partner's JSON view lists exactly its
accepted, held and dead-lettered events (reason and field path), its rapid reviews and data
quality, and nothing of the other's; the HTML page shows the same in Chromium.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from producers.gateway.credentials import add_token
from schemas.calendar import requested_completion_date
from schemas.partners import partner_topic
from tests.fixtures.chromium import ARTIFACTS, chromium
from tests.infra.stack.test_up import Up
from tests.streams import events as e

pytestmark = [pytest.mark.integration, pytest.mark.slow]

STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
AS_OF = dt.date(2021, 3, 31)
LA_A, LA_B = "E06000001", "E08000025"
A, B = f"urn:cspr:la:{LA_A}", f"urn:cspr:la:{LA_B}"


def _doc(raw: bytes, **changes: Any) -> dict[str, Any]:
    return {**json.loads(raw), **changes}


@dataclass
class Partner:
    authority: str
    token: str
    accepted: set[str] = field(default_factory=set)             # event ids
    held: set[str] = field(default_factory=set)
    dead: Counter[tuple[str | None, str]] = field(default_factory=Counter)  # (id, reason)
    dead_paths: dict[str, str] = field(default_factory=dict)    # id -> field path of its first problem
    notified: dict[str, dict[str, Any]] = field(default_factory=dict)  # subject -> notification
    reviewed: set[str] = field(default_factory=set)             # subjects


@dataclass
class Stack:
    up: Up
    partners: dict[str, Partner]

    @property
    def url(self) -> str:
        return str(self.up.state["gateway_url"])

    def post(self, who: str, body: Any, kind: str = BATCH) -> requests.Response:
        return requests.post(f"{self.url}/events", data=json.dumps(body).encode(), timeout=60, headers={
            "Content-Type": kind, "Authorization": f"Bearer {self.partners[who].token}"})

    def view(self, who: str, path: str) -> Any:
        resp = requests.get(f"{self.url}{path}", timeout=120,
                            headers={"Authorization": f"Bearer {self.partners[who].token}"})
        assert resp.status_code == 200, resp.text[:1000]
        return resp.json()


def _publish_as(stack: Stack, p: Partner, la: str, n: int, other_la: str) -> None:
    """Over HTTP as partner p: two cases (one reviewed), a duplicate notification of the first
    under a new id (dead-lettered case_exists by the stream), an event of a case never notified
    (held), another authority's event (refused 403) and a broken one (refused 400)."""
    first = _doc(e.notified(f"SIN-2021-9{n}0001", time="2021-01-05T10:00:00Z", notified_date="2021-01-05", la=la))
    second = _doc(e.notified(f"SIN-2021-9{n}0002", time="2021-02-01T10:00:00Z", notified_date="2021-02-01", la=la))
    review = _doc(e.submitted(first["subject"], time="2021-01-20T10:00:00Z", received_date="2021-01-20", la=la))
    again = {**first, "id": str(uuid.uuid4()), "time": "2021-01-06T10:00:00Z"}
    orphan = _doc(e.submitted(f"SIN-2021-9{n}0099", time="2021-02-03T10:00:00Z", received_date="2021-02-03", la=la))
    theirs = _doc(e.notified(f"SIN-2021-9{n}0003", time="2021-01-05T10:00:00Z", notified_date="2021-01-05",
                             la=other_la))
    broken = {**second, "id": str(uuid.uuid4()), "data": {**second["data"], "imd_quintile": 9}}
    resp = stack.post(p.authority, [first, second, review])
    assert resp.status_code == 200 and resp.json()["accepted"] == 3, resp.text
    resp = stack.post(p.authority, [again, orphan, theirs, broken])
    assert [(r["status"], r["http_status"]) for r in resp.json()["results"]] == [
        ("accepted", 202), ("accepted", 202), ("rejected", 403), ("rejected", 400)]
    # the gateway's own answer is the record of what it refused: never published, so never in a view
    p.accepted |= {first["id"], second["id"], review["id"]}
    p.held.add(orphan["id"])
    p.dead[(again["id"], "case_exists")] += 1
    p.notified.update({first["subject"]: first, second["subject"]: second})
    p.reviewed.add(first["subject"])


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    from kafka import KafkaProducer
    from kafka.admin import KafkaAdminClient

    data_dir = tmp_path_factory.mktemp("up-partners") / "data"
    data_dir.mkdir()
    tokens = data_dir / "gateway-tokens"  # the stack's token file (it makes an empty one otherwise)
    partners = {who: Partner(who, add_token(tokens, who)[1]) for who in (A, B)}
    # partner A also publishes on its own Kafka topic: configured, so the worker reads it from its start
    up = Up(data_dir, "--dbt-every", "0", env={"CSPR_PARTNERS": LA_A})
    try:
        s = Stack(up, partners)
        _publish_as(s, partners[A], LA_A, 1, LA_B)
        _publish_as(s, partners[B], LA_B, 2, LA_A)
        # partner A's own Kafka topic (the worker made it before it started): another authority's
        # source and a message that is no event
        bootstrap = up.state["broker"]
        topic = partner_topic("cspr.events.inbound", A)
        admin = KafkaAdminClient(bootstrap_servers=bootstrap)
        try:
            assert topic in admin.list_topics()
        finally:
            admin.close()
        claims_b = e.notified("SIN-2021-910004", time="2021-01-07T10:00:00Z", notified_date="2021-01-07", la=LA_B)
        producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
        for raw in (claims_b, b"{not json"):
            producer.send(topic, value=raw, key=b"k")
        producer.flush()
        producer.close()
        claims_b_id = json.loads(claims_b)["id"]
        partners[A].dead.update([(claims_b_id, "source_not_authorised"), (None, "invalid_json")])
        partners[A].dead_paths[claims_b_id] = "source"
        _wait_taken(s)
        yield s
    finally:
        up.stop(signal.SIGINT)


def _wait_taken(s: Stack) -> None:
    """Until the worker has stored everything."""
    want = sum(sum(p.dead.values()) for p in s.partners.values())
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = s.up.get("/status")
        if status["idle"] and status["sunk"]["dead_letters"] >= want and status["accepted"] >= 6:
            return
        time.sleep(0.5)
    raise AssertionError(f"the worker did not take the partners' events within 120 s: {s.up.get('/status')}")


def test_each_partner_sees_exactly_its_accepted_held_and_dead_lettered_events(stack: Stack) -> None:
    for who, p in stack.partners.items():
        started = time.monotonic()
        got = stack.view(who, "/partner/events?limit=10000")
        print(f"\n{who}: /partner/events through the worker in {1000 * (time.monotonic() - started):.0f} ms")
        assert got["authority"] == who
        assert {a["id"] for a in got["accepted"]} == p.accepted
        assert {h["id"] for h in got["held"]} == p.held
        assert Counter((d["id"], d["reason"]) for d in got["dead_letters"]) == p.dead
        for d in got["dead_letters"]:
            assert d["problems"] or d["detail"], d
            if d["id"] in p.dead_paths:
                assert d["problems"][0]["path"] == p.dead_paths[d["id"]]
    a, b = stack.partners[A], stack.partners[B]
    # one event at a time, by id: its own accepted, held and dead-lettered; nothing of the other's
    assert stack.view(A, f"/partner/events/{sorted(a.accepted)[0]}")["status"] == "accepted"
    assert stack.view(A, f"/partner/events/{next(iter(a.held))}")["status"] == "held"
    claimed = next(i for (i, r) in a.dead if r == "source_not_authorised")
    one = stack.view(A, f"/partner/events/{claimed}")
    assert one["status"] == "dead_lettered" and one["dead_letters"][0]["problems"][0]["path"] == "source"
    for theirs in (*b.accepted, *b.held, *(i for i, _ in b.dead if i)):
        assert stack.view(A, f"/partner/events/{theirs}")["status"] == "not_stored"
    assert stack.view(B, f"/partner/events/{claimed}")["status"] == "not_stored"
    # no token, no view; the worker's own route wants a partner's token too
    assert requests.get(f"{stack.url}/partner/events", timeout=10).status_code == 401
    worker = stack.up.state["worker_url"]
    assert requests.get(f"{worker}/partner-views/accepted", timeout=10).status_code == 401
    forged = requests.get(f"{worker}/partner-views/accepted", timeout=10,
                          headers={"Authorization": "Bearer cspr_00000000_" + "x" * 43})
    assert forged.status_code == 401


def test_each_partners_rapid_reviews_and_data_quality_are_its_own(stack: Stack) -> None:
    for who, p in stack.partners.items():
        reviews = stack.view(who, f"/partner/rapid-reviews?as_of={AS_OF}")
        waiting = {s: n for s, n in p.notified.items() if s not in p.reviewed}
        overdue = {s for s, n in waiting.items()
                   if requested_completion_date(dt.date.fromisoformat(n["data"]["notified_date"])) < AS_OF}
        assert overdue, "each partner has an overdue review"
        assert {r["subject"] for r in reviews["overdue"]} == overdue
        assert {r["subject"] for r in reviews["due"]} == set(waiting) - overdue
        assert reviews["received"] == len(p.reviewed)
        quality = stack.view(who, "/partner/data-quality")
        assert quality["notifications"] == len(p.notified)
        children = [c for n in p.notified.values() for c in n["data"]["children"]]
        empty = sum(1 for c in children if c["ethnicity"] is None)
        by_field = {f["field"]: f for f in quality["fields_most_often_missing"]}
        assert by_field.get("children[].ethnicity", {"missing": 0})["missing"] == empty


def test_the_partner_page_renders_in_chromium_with_only_its_own_events(stack: Stack, tmp_path: Path) -> None:
    a, b = stack.partners[A], stack.partners[B]
    signin = tmp_path / "signin.html"  # a staff member signs in with the form
    signin.write_text(f"""<!doctype html><form method="post" action="{stack.url}/partner/login">
<input name="token" value="{a.token}"></form><script>document.forms[0].submit()</script>""")

    def signed_in(*args: str) -> subprocess.CompletedProcess[str]:
        return chromium("--virtual-time-budget=15000", *args, signin.as_uri(), tmp=tmp_path, check=False)

    proc = signed_in("--dump-dom")
    dom = proc.stdout
    assert f"{A}: what became of your events" in dom, (proc.stderr[-2000:], dom[:1000])
    dead_rows = re.findall(r'<tr data-event-id="([^"]*)"', dom)
    assert Counter(r or None for r in dead_rows) == Counter(i for i, _ in a.dead.elements())
    assert set(re.findall(r'<tr data-held-id="([^"]*)"', dom)) == a.held
    dead_count = re.search(r'id="dead-letter-count">(\d+)<', dom)
    held_count = re.search(r'id="held-count">(\d+)<', dom)
    assert dead_count and held_count, dom[:1000]
    assert int(dead_count[1]) == sum(a.dead.values())
    assert int(held_count[1]) == len(a.held)
    for theirs in (*b.accepted, *b.held, *(i for i, _ in b.dead if i), *b.notified):
        assert theirs not in dom
    # a screenshot for a person to look at (tests/artifacts/ is not committed)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "partner-page-up.png"
    shot.unlink(missing_ok=True)
    signed_in("--window-size=1280,1800", "--hide-scrollbars", f"--screenshot={shot}")
    assert shot.exists() and shot.stat().st_size > 20_000
