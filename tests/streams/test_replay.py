"""``python -m streams.replay``: the warehouse's inbound archive back into a fresh broker, each
message to its partition and offset; gaps renumbered; accepted events the archive lacks (a hard
stop) appended at the end of their partition; a topic that is not empty, or fewer partitions than
the archive has, refused with a clear message. On tansu; the warehouse is set up and read in child
processes (chDB: one data path per process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infra.settings import load_settings
from tests.streams import events as e

pytestmark = pytest.mark.integration

SETUP = """
import json, sys
from infra.settings import load_settings
from infra.warehouse import ensure_raw_store, get_client, insert_events, raw_event_row
from schemas import parse_event
from streams.archive import COLUMNS, TABLE, ensure_archive
doc = json.loads(sys.stdin.read())
c = get_client(load_settings(), data_dir=sys.argv[1])
ensure_raw_store(c, 'cspr')
ensure_archive(c, 'cspr')
rows = [[p, o, k.encode(), v.encode()] for p, o, k, v in doc['archive']]
c.insert(f'cspr.{TABLE}', rows, column_names=list(COLUMNS))
insert_events(c, 'cspr', [raw_event_row(v.encode(), parse_event(v), seq, 'cspr.events', p, o)
                          for v, seq, p, o in doc['events']])
"""

READ = """
import json, sys
from infra.settings import load_settings
from infra.warehouse import get_client
c = get_client(load_settings(), data_dir=sys.argv[1])
rows = c.query('SELECT partition, offset, value FROM cspr.raw_inbound FINAL ORDER BY partition, offset').result_rows
print(json.dumps([[p, o, v] for p, o, v in rows]))
"""


def _python(code: str, *args: str, stdin: str = "") -> str:
    proc = subprocess.run([sys.executable, "-c", code, *args], input=stdin, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def _replay(data_dir: Path, bootstrap: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "streams.replay", "--data-dir", str(data_dir),
                           "--bootstrap-servers", bootstrap], capture_output=True, text=True, timeout=120,
                          check=False)


def _inbound(bootstrap: str, partition: int, n: int) -> list[tuple[int, bytes | None, bytes]]:
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, consumer_timeout_ms=3_000)
    tp = TopicPartition(load_settings().topic_inbound, partition)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    out = []
    try:
        for record in consumer:
            out.append((record.offset, record.key, record.value))
            if len(out) >= n:
                break
    finally:
        consumer.close()
    return out


@pytest.fixture(scope="module")
def bootstrap(tansu_broker: Any) -> str:
    from infra.topics import ensure_topics

    ensure_topics(tansu_broker.bootstrap_servers, load_settings())
    return str(tansu_broker.bootstrap_servers)


def test_the_archive_lands_on_its_offsets_with_gaps_closed_and_unarchived_accepted_events_appended(
        bootstrap: str, tmp_path: Path) -> None:
    note = e.notified("SIN-2020-000001", time="2020-05-04T10:00:00Z")
    review = e.submitted("SIN-2020-000001", "2020-05-20T10:00:00Z", "2020-05-20")
    doc = {
        # the archive: the notification, then (after a gap in the offsets) a message that is not JSON
        "archive": [[1, 0, "SIN-2020-000001", note.decode()], [1, 5, "SIN-2020-000001", "not json"]],
        # the store: the notification and a review the case agent accepted but the archive never got
        "events": [[note.decode(), 1, 1, 0], [review.decode(), 2, 1, 1]],
    }
    _python(SETUP, str(tmp_path), stdin=json.dumps(doc))
    proc = _replay(tmp_path, bootstrap)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"source": "raw_inbound", "messages": 3, "appended": 1, "partitions": {"1": 3}}
    want = [(0, b"SIN-2020-000001", note), (1, b"SIN-2020-000001", b"not json"), (2, b"SIN-2020-000001", review)]
    assert _inbound(bootstrap, 1, 3) == want
    assert json.loads(_python(READ, str(tmp_path))) == [[1, o, v.decode()] for o, _, v in want]

    again = _replay(tmp_path, bootstrap)  # the topic already has them: offsets would move
    assert again.returncode == 2
    assert "landed at offset 3" in again.stderr and "was not empty" in again.stderr
    assert "Traceback" not in again.stderr


def test_an_archive_with_more_partitions_than_the_topic_is_refused_before_sending(bootstrap: str,
                                                                                   tmp_path: Path) -> None:
    partitions = load_settings().topic_partitions
    doc = {"archive": [[partitions, 0, "SIN-2020-000002", "x"]], "events": []}
    _python(SETUP, str(tmp_path), stdin=json.dumps(doc))
    proc = _replay(tmp_path, bootstrap)
    assert proc.returncode == 2
    assert f"partitions [{partitions}]" in proc.stderr and "CSPR_TOPIC_PARTITIONS" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_folder_without_an_archive_replays_the_accepted_events_by_case_seq(bootstrap: str,
                                                                            tmp_path: Path) -> None:
    subject = "SIN-2020-000003"
    note = e.notified(subject, time="2020-06-01T10:00:00Z")
    review = e.submitted(subject, "2020-06-10T10:00:00Z", "2020-06-10")
    _python(SETUP, str(tmp_path), stdin=json.dumps({"archive": [], "events": [[review.decode(), 2, 0, 9],
                                                                              [note.decode(), 1, 0, 8]]}))
    proc = _replay(tmp_path, bootstrap)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["source"] == "raw_events" and out["messages"] == 2
    (partition,) = (int(p) for p in out["partitions"])
    got = [(k, v) for _, k, v in _inbound(bootstrap, partition, 10) if k == subject.encode()]
    assert got == [(subject.encode(), note), (subject.encode(), review)]
