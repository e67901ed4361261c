"""The raw event store: created idempotently, rows built from events, repeats collapse under FINAL."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from infra.warehouse.raw_store import (
    DEAD_LETTER_COLUMNS,
    RAW_EVENT_COLUMNS,
    RawStoreError,
    dead_letter_row,
    ensure_raw_store,
    insert_dead_letters,
    insert_events,
    raw_event_row,
)
from schemas import parse_event
from schemas.errors import Problem

RAW = json.dumps({
    "specversion": "1.0", "id": "0B2C6E4A-1D1E-4F4B-9C66-3D6F2C1E0A11", "source": "urn:cspr:la:E09000001",
    "type": "uk.gov.cspr.rapid_review.submitted.v1", "subject": "SIN-2020-000001",
    "time": "2020-05-20T10:00:00+01:00", "data": {"received_date": "2020-05-20", "decision": "lcspr"},
}).encode()


def test_creating_the_store_twice_changes_nothing(warehouse, warehouse_db):
    ensure_raw_store(warehouse.client, warehouse_db)
    columns = [r[0] for r in warehouse.client.query(f"DESCRIBE {warehouse_db}.raw_events").result_rows]
    assert set(RAW_EVENT_COLUMNS) <= set(columns)
    dl = [r[0] for r in warehouse.client.query(f"DESCRIBE {warehouse_db}.dead_letters").result_rows]
    assert set(DEAD_LETTER_COLUMNS) <= set(dl)


def test_an_event_row_keeps_the_partner_time_text_and_stores_utc(warehouse, warehouse_db):
    event = parse_event(RAW)
    insert_events(warehouse.client, warehouse_db, [raw_event_row(RAW, event, 3, "cspr.events", 1, 42)])
    row = warehouse.client.query(
        f"SELECT event_id, time, time_text, case_seq, JSONExtractString(data, 'decision'), kafka_offset "
        f"FROM {warehouse_db}.raw_events FINAL"
    ).result_rows
    assert row == [("0b2c6e4a-1d1e-4f4b-9c66-3d6f2c1e0a11", dt.datetime(2020, 5, 20, 9, 0),
                    "2020-05-20T10:00:00+01:00", 3, "lcspr", 42)]


def test_a_repeated_sink_write_is_counted_once(warehouse, warehouse_db):
    row = raw_event_row(RAW, parse_event(RAW), 1, "cspr.events", 0, 7)
    insert_events(warehouse.client, warehouse_db, [row])
    insert_events(warehouse.client, warehouse_db, [row])  # a crash before the offset commit
    assert warehouse.client.query(f"SELECT count() FROM {warehouse_db}.raw_events FINAL").result_rows == [(1,)]


def test_a_dead_letter_keeps_the_bytes_reason_and_whatever_envelope_could_be_read(warehouse, warehouse_db):
    rows = [
        dead_letter_row(b"\xff not json", "not_utf8", "bytes are not UTF-8", [Problem("$", "not UTF-8")],
                        topic="cspr.events.inbound", partition=0, offset=1),
        dead_letter_row(RAW, "unknown_case", "no notification", [("subject", "unknown")],
                        topic="cspr.events", partition=2, offset=9),
    ]
    insert_dead_letters(warehouse.client, warehouse_db, rows + rows)
    got = warehouse.client.query(
        f"SELECT reason, subject, event_id, problems FROM {warehouse_db}.dead_letters FINAL ORDER BY reason"
    ).result_rows
    assert got == [
        ("not_utf8", None, None, '[{"path": "$", "message": "not UTF-8"}]'),
        ("unknown_case", "SIN-2020-000001", "0b2c6e4a-1d1e-4f4b-9c66-3d6f2c1e0a11",
         '[{"path": "subject", "message": "unknown"}]'),
    ]


def test_a_database_name_that_is_not_an_identifier_is_refused(warehouse):
    with pytest.raises(RawStoreError, match="invalid ClickHouse database name"):
        ensure_raw_store(warehouse.client, "cspr; DROP TABLE x")


def test_case_seq_starts_at_one(warehouse):
    with pytest.raises(RawStoreError, match="case_seq must be 1 or more"):
        raw_event_row(RAW, parse_event(RAW), 0, "cspr.events", 0, 0)
