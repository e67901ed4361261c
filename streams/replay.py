"""Replay the warehouse's durable log into a fresh broker, before the worker takes new events.

``safeguarding up`` runs this as a child process between starting the embedded broker and
starting the worker (chDB: one process per data folder, and the worker will own it next):

    python -m streams.replay --data-dir DIR --bootstrap-servers HOST:PORT

What is replayed:

- ``raw_inbound`` (written by a worker started with ``--archive-inbound``, as ``up`` does): every
  inbound message, to its own partition, in offset order. The topic is new and empty, so each
  message lands at its archived offset again; every offset the broker gives back is checked, and
  a difference is an error (re-archiving it elsewhere would replay it twice next time). Held
  events, duplicates and rejections are replayed with the rest, so the worker rebuilds exactly
  the state it had (see ``streams.archive``).
- otherwise, for a folder written by ``safeguarding run`` (no archive), the accepted events of
  ``raw_events`` in ``case_seq`` order per subject, keyed by subject: the cases and live figures
  come back; events that were held when that run ended were never stored and cannot be;
- accepted events the archive lacks (a worker stopped hard between its case agent and its archive
  agent) are appended to the end of their partition (``unarchived_accepted``).

Prints one JSON line: ``{"source": "raw_inbound"|"raw_events"|"empty", "messages": N,
"partitions": {"0": n0, ...}}``. Exit status 0, 2 on a bad folder or setting, 3 when the broker
or the warehouse cannot be reached.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from infra.settings import Settings
from schemas.errors import CsprError, ServiceUnavailable
from streams.archive import COLUMNS, TABLE, ensure_archive

log = logging.getLogger(__name__)


class ReplayError(CsprError):
    """The archive cannot be replayed as it is (more partitions than the topic, an offset moved)."""


def _has_table(client: Any, database: str, table: str) -> bool:
    return bool(client.query("SELECT count() FROM system.tables WHERE database = {db:String} AND name = {t:String}",
                             parameters={"db": database, "t": table}).result_rows[0][0])


def archived(client: Any, database: str) -> list[tuple[int, int, bytes | None, bytes]]:
    """The archive in replay order: (partition, offset, key, value)."""
    if not _has_table(client, database, TABLE):
        return []
    res = client.query(f"SELECT partition, offset, key, value FROM {database}.{TABLE} FINAL ORDER BY partition, offset",
                       column_formats={"key": "bytes", "value": "bytes"})
    return [(int(p), int(o), k, v) for p, o, k, v in res.result_rows]


def renumber_if_gapped(client: Any, database: str, rows: list[tuple[int, int, bytes | None, bytes]]
                       ) -> list[tuple[int, int, bytes | None, bytes]]:
    """Offsets must run 0, 1, 2, ... in each partition for the replay to land on them again; if
    they do not (a broker that skipped offsets), store them renumbered, in the same order."""
    expected: dict[int, int] = defaultdict(int)
    gapped = False
    out = []
    for p, o, k, v in rows:
        gapped |= o != expected[p]
        out.append((p, expected[p], k, v))
        expected[p] += 1
    if not gapped:
        return rows
    log.warning("the inbound archive's offsets have gaps; renumbering %d messages in their order", len(rows))
    client.command(f"CREATE TABLE IF NOT EXISTS {database}.{TABLE}_renumbered AS {database}.{TABLE}")
    client.command(f"TRUNCATE TABLE {database}.{TABLE}_renumbered")
    client.insert(f"{database}.{TABLE}_renumbered", [list(r) for r in out], column_names=list(COLUMNS))
    client.command(f"EXCHANGE TABLES {database}.{TABLE} AND {database}.{TABLE}_renumbered")
    client.command(f"DROP TABLE {database}.{TABLE}_renumbered")
    return out


def unarchived_accepted(client: Any, database: str, rows: list[tuple[int, int, bytes | None, bytes]]
                        ) -> list[tuple[int, int, bytes | None, bytes]]:
    """Accepted events the archive lacks, appended to it; returns them as archive rows.

    A worker stopped hard (SIGKILL, power loss) may have taken a batch with the case agent (its
    events are in ``raw_events``) before the archive agent stored it. Those are the last messages
    the worker took in their partition, so they go at the end of it, in the order they were sent
    on (their ``cspr.events`` partition is their inbound partition: both are keyed by subject),
    and get the same ``case_seq`` again. Held events and rejections of such a batch are not in
    the store and cannot come back; a clean stop (Ctrl-C, SIGTERM) drains the stream first."""
    if not rows or not _has_table(client, database, "raw_events"):
        return []
    have: set[tuple[str, str]] = set()
    for _, _, _, value in rows:
        try:
            doc = json.loads(value)
            have.add((doc["source"], doc["id"].lower()))
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            continue  # not a valid event: never accepted
    res = client.query(f"SELECT source, event_id, subject, kafka_partition, event FROM {database}.raw_events FINAL "
                       "ORDER BY kafka_partition, kafka_offset", column_formats={"subject": "bytes", "event": "bytes"})
    next_offset: dict[int, int] = defaultdict(int)
    for p, o, _, _ in rows:
        next_offset[p] = max(next_offset[p], o + 1)
    extra = []
    for source, event_id, subject, partition, event in res.result_rows:
        if (source, event_id) not in have:
            extra.append((int(partition), next_offset[int(partition)], subject, event))
            next_offset[int(partition)] += 1
    if extra:
        log.warning("%d accepted events were not in the inbound archive (a hard stop); appending them", len(extra))
        client.insert(f"{database}.{TABLE}", [list(r) for r in extra], column_names=list(COLUMNS))
    return extra


def accepted_events(client: Any, database: str) -> list[tuple[bytes, bytes]]:
    """raw_events in case_seq order per subject: (subject, event bytes)."""
    if not _has_table(client, database, "raw_events"):
        return []
    res = client.query(f"SELECT subject, event FROM {database}.raw_events FINAL ORDER BY subject, case_seq",
                       column_formats={"subject": "bytes", "event": "bytes"})
    return [(s, e) for s, e in res.result_rows]


def publish(bootstrap: str, topic: str, partitions: int,
            rows: list[tuple[int | None, int | None, bytes | None, bytes]]) -> dict[str, int]:
    """Send the rows in order; with a partition given, check each lands at its offset."""
    from kafka import KafkaProducer
    from kafka.errors import KafkaError

    too_high = sorted({p for p, _, _, _ in rows if p is not None and p >= partitions})
    if too_high:
        raise ReplayError(f"the inbound archive has partitions {too_high} but {topic} has {partitions} "
                          "(CSPR_TOPIC_PARTITIONS): start with the partition count it was written with")
    try:
        producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", max_in_flight_requests_per_connection=1,
                                 linger_ms=20, batch_size=1 << 20, max_request_size=8 << 20, retries=0)
    except KafkaError as exc:
        raise ServiceUnavailable(f"no Kafka broker answered at {bootstrap}: {exc}") from None
    counts: dict[str, int] = defaultdict(int)
    try:
        futures = [(p, o, producer.send(topic, key=k, value=v, partition=p)) for p, o, k, v in rows]
        producer.flush(timeout=300)
        for p, o, fut in futures:
            meta = fut.get(timeout=60)
            if o is not None and meta.offset != o:
                raise ReplayError(f"replayed message {p}/{o} landed at offset {meta.offset}: the topic {topic} "
                                  "was not empty, or the broker numbers offsets differently; stopping")
            counts[str(meta.partition)] += 1
    except KafkaError as exc:
        raise ServiceUnavailable(f"the broker at {bootstrap} did not take the replay: {exc}") from None
    finally:
        producer.close(timeout=10)
    return dict(sorted(counts.items()))


def replay(conf: Settings, data_dir: Path, bootstrap: str, database: str | None = None) -> dict[str, Any]:
    from infra.warehouse.client import get_client

    db = database or conf.clickhouse_database
    client = get_client(conf, data_dir)
    ensure_archive(client, db)
    rows: list[Any] = renumber_if_gapped(client, db, archived(client, db))
    extra = unarchived_accepted(client, db, rows)
    rows = sorted(rows + extra, key=lambda r: (r[0], r[1]))
    source = "raw_inbound"
    if not rows:
        rows = [(None, None, s, e) for s, e in accepted_events(client, db)]
        source = "raw_events" if rows else "empty"
    partitions = publish(bootstrap, conf.topic_inbound, conf.topic_partitions, rows) if rows else {}
    return {"source": source, "messages": len(rows), "partitions": partitions, "appended": len(extra)}


def main(argv: list[str] | None = None) -> int:
    from infra.settings import load_settings

    parser = argparse.ArgumentParser(prog="python -m streams.replay", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--bootstrap-servers", required=True)
    parser.add_argument("--database")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        if not args.data_dir.is_dir():
            raise ReplayError(f"--data-dir {str(args.data_dir)!r} is not a folder")
        print(json.dumps(replay(load_settings(), args.data_dir, args.bootstrap_servers, args.database),
                         sort_keys=True))
    except ServiceUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    except CsprError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
