"""The raw event store: create it, and turn accepted / rejected events into rows for it.

Dedup choice: the sink is at-least-once (Kafka offsets are committed only after ClickHouse has
the rows), so a crash between insert and commit writes the same rows again. Both tables are
ReplacingMergeTree keyed by the identity of a row — (subject, source, event_id) for events (the
contract's key is (source, event_id); a repeated write of an event has the same subject), (raw_sha256,
reason) for dead letters — so repeats collapse at merge time, and every reader selects with
FINAL so a repeat never reaches a count before the merge happens. A time-window dedup (insert
deduplication tokens) was not used: a replay days later must still be idempotent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from importlib import resources
from typing import Any

from schemas.errors import CsprError

RAW_EVENT_COLUMNS: tuple[str, ...] = (
    "source", "event_id", "type", "subject", "time", "time_text", "case_seq", "data", "event",
    "kafka_topic", "kafka_partition", "kafka_offset",
)
DEAD_LETTER_COLUMNS: tuple[str, ...] = (
    "raw_sha256", "reason", "detail", "problems", "raw", "source", "event_id", "type", "subject",
    "origin_topic", "origin_partition", "origin_offset", "dead_lettered_at",
)
# A letter first: the dbt models' table aliases start with "_", so a ref into the database
# (``<database>.<model>``) is never read as a column of an alias of the same name.
_DATABASE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")


class RawStoreError(CsprError):
    """A row could not be built or written."""


def check_database_name(database: str) -> str:
    if not _DATABASE_NAME.match(database):
        raise RawStoreError(f"invalid ClickHouse database name {database!r}: letters, digits and _ only, starting with a letter")
    if database.lower() in _SERVERS_OWN:
        raise RawStoreError(f"invalid ClickHouse database name {database!r}: the server's own database; choose another")
    return database


_SERVERS_OWN = {"system", "information_schema"}  # ClickHouse's own databases (never the platform's)


def raw_store_ddl(database: str) -> list[str]:
    """The statements of infra/clickhouse/raw_store.sql for this database, in order."""
    text = resources.files("infra.clickhouse").joinpath("raw_store.sql").read_text("utf-8")
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip().replace("{db}", check_database_name(database)) for s in text.split(";") if s.strip()]


_CREATES = re.compile(r"CREATE\s+(DATABASE|TABLE)\s+IF\s+NOT\s+EXISTS\s+([\w.]+)", re.IGNORECASE)


# Columns added to tables after warehouses were created without them: (table, column, the ALTER
# that adds it). The snapshots became per inbound partition (streams.figures.snapshots): the
# column joins the ReplacingMergeTree key, or two partitions' rows of one snapshot would collapse
# into one (ClickHouse lets a key take a column only in the ALTER that adds it, and only with no
# default: older rows, one worker's whole snapshots, read as partition 0, standing for every
# partition until each partition has a snapshot of its own, which the worker writes on its next).
_ADDED_COLUMNS = tuple(
    (table, "partition", f"ALTER TABLE {{db}}.{table} ADD COLUMN IF NOT EXISTS partition Int32, "
                         "MODIFY ORDER BY (taken_at, figure, year, dimension, partition)")
    for table in ("stream_figures", "pub_stream_figures"))


def ensure_raw_store(client: Any, database: str) -> None:
    """Create the database, raw_events and dead_letters if missing, and add the columns that
    existing tables lack (``_ADDED_COLUMNS``); safe to call every start.

    What exists is not touched: ClickHouse checks CREATE rights even for ``IF NOT EXISTS``, and
    production's ``ingest`` user may only insert (the server's init script created the store).
    """
    db = check_database_name(database)
    for statement in raw_store_ddl(database):
        found = _CREATES.search(statement)
        if found and int(client.command(f"EXISTS {found.group(1).upper()} {found.group(2)}")) == 1:
            continue
        client.command(statement)
    for table, column, alter in _ADDED_COLUMNS:
        if client.query(f"SELECT count() FROM system.columns WHERE database = '{db}' AND table = '{table}' "
                        f"AND name = '{column}'").result_rows[0][0]:
            continue
        try:
            client.command(alter.replace("{db}", db))
        except Exception as exc:  # the ingest user may not ALTER: say what is missing and who can add it
            raise RawStoreError(f"{db}.{table} lacks its {column} column and this user cannot add it "
                                f"({type(exc).__name__}); `safeguarding dbt build` (the dbt user) adds it, or run: "
                                f"{alter.replace('{db}', db)}") from exc


def _raw_text(raw: bytes | str) -> str:
    return raw.decode("utf-8", errors="replace") if isinstance(raw, bytes | bytearray) else raw


def raw_event_row(
    raw: bytes | str, event: Any, case_seq: int, topic: str, partition: int, offset: int
) -> list[Any]:
    """The raw_events row (in ``RAW_EVENT_COLUMNS`` order) of an accepted event.

    ``event`` is the typed event from ``schemas.parse_event(raw)``; ``case_seq`` its arrival order
    within the case (1, 2, ...) as the stream's projection assigned it.
    """
    if case_seq < 1:
        raise RawStoreError(f"case_seq must be 1 or more, got {case_seq} for event {event.id}")
    text = _raw_text(raw)
    try:
        envelope = json.loads(text)
        time_text = envelope["time"]
        data = envelope["data"]
    except (ValueError, KeyError, TypeError):
        # Not the bytes of this event (a re-serialised copy, say): fall back to the typed event.
        time_text = event.time.isoformat()
        data = event.data.model_dump(mode="json")
        text = event.model_dump_json()
    time_utc = event.time.astimezone(dt.UTC)
    return [
        event.source, str(event.id).lower(), event.type, event.subject, time_utc, str(time_text),
        int(case_seq), json.dumps(data, separators=(",", ":"), sort_keys=True), text,
        topic, int(partition), int(offset),
    ]


def dead_letter_row(
    raw: bytes | str,
    reason: str,
    detail: str,
    problems: Sequence[Any] = (),
    *,
    topic: str,
    partition: int,
    offset: int,
    dead_lettered_at: dt.datetime | None = None,
) -> list[Any]:
    """The dead_letters row (in ``DEAD_LETTER_COLUMNS`` order) of a rejected message.

    ``problems`` are ``schemas.errors.Problem``s or (path, message) pairs. Whatever of the
    envelope can be read from the bytes (source, id, type, subject) is kept for searching.
    """
    raw_bytes = raw if isinstance(raw, bytes | bytearray) else raw.encode("utf-8", errors="surrogatepass")
    text = _raw_text(raw)
    env: dict[str, Any] = {}
    try:
        parsed = json.loads(text)
        if isinstance(parsed, dict):
            env = parsed
    except Exception:  # ValueError, RecursionError ('['*1000 nests too deep for json), ...: no envelope
        pass

    def _field(name: str) -> str | None:
        value = env.get(name)
        return value if isinstance(value, str) else None

    listed = []
    for p in problems:
        path, message = (p.path, p.message) if hasattr(p, "path") else (p[0], p[1])
        listed.append({"path": str(path), "message": str(message)})
    event_id = _field("id")
    when = (dead_lettered_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return [
        hashlib.sha256(raw_bytes).hexdigest(), reason, detail, json.dumps(listed), text,
        _field("source"), event_id.lower() if event_id else None, _field("type"), _field("subject"),
        topic, int(partition), int(offset), when,
    ]


def insert_events(client: Any, database: str, rows: Iterable[Sequence[Any]]) -> int:
    """Insert raw_events rows; returns how many. Repeats are harmless (ReplacingMergeTree + FINAL)."""
    rows = list(rows)
    if rows:
        client.insert(f"{check_database_name(database)}.raw_events", rows, column_names=list(RAW_EVENT_COLUMNS))
    return len(rows)


def insert_dead_letters(client: Any, database: str, rows: Iterable[Sequence[Any]]) -> int:
    rows = list(rows)
    if rows:
        client.insert(
            f"{check_database_name(database)}.dead_letters", rows, column_names=list(DEAD_LETTER_COLUMNS)
        )
    return len(rows)
