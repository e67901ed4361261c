"""No message can stop the stream: whatever the bytes, the whole per-message path — the case
projection, the dead-letter headers, the case's changelog value and the warehouse rows — returns
outcomes and never raises; what it cannot take is dead-lettered with a reason.

The broker-and-worker version of this (the hostile corpus through a real Kafka and a worker) is
``tests/streams/test_pipeline.py::test_hostile_messages_are_dead_lettered_and_the_stream_goes_on``.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.reasons import REASONS
from streams.cases.agents import dead_letter_headers, dlq_value
from streams.cases.history import (
    ACCEPTED,
    DUPLICATE,
    HELD,
    PROCESSING_ERROR,
    REJECTED,
    CaseProjection,
    Origin,
)
from streams.sink.agents import failed_row, rows_of
from tests.streams import events as e

S = "SIN-2020-000001"

# The messages that stopped (or could stop) a worker: deep nesting (RecursionError in json.loads
# of the dead-letter row builder), large, not UTF-8, NaN / Infinity, 1e400, huge integers, ...
HOSTILE: list[bytes] = [
    b"[" * 1000 + b"]" * 1000,
    b"{\"a\":" * 5000 + b"1" + b"}" * 5000,
    b"[" * 100_000,
    b'{"x": "' + b"a" * (1 << 20) + b'"}',
    b"\xff\xfe\x00garbage",
    b'{"id": "\xc3\x28"}',
    b'{"specversion": "1.0", "time": NaN}',
    b'{"specversion": "1.0", "time": Infinity, "data": -Infinity}',
    b'{"n": 1e400}',
    b'{"n": ' + b"9" * 5000 + b"}",
    b"",
    b"null",
    b"\x00" * 64,
    e.notified(S).replace(b'"1.0"', b"1e400"),
    e.notified(S).replace(b'"1.0"', b"9" * 5000),
]


def path_of(projection: CaseProjection, raw: bytes, offset: int) -> list:
    """The worker's per-message path, without Kafka: what the case agent (``fold_partition``) and ``store`` do."""
    outputs = projection.process(raw, Origin("cspr.events.inbound", 0, offset))
    for out in outputs:
        assert out.kind in (ACCEPTED, REJECTED, HELD, DUPLICATE)
        if out.kind == REJECTED:
            assert out.reason in REASONS, out.reason
            headers = dead_letter_headers(out)
            assert all(isinstance(v, bytes) for v in headers.values())
            assert len(dlq_value(out.raw)) <= 1 << 20
    for subject in projection.take_touched():  # the changelog value of every changed case
        state = projection.cases[subject]
        assert type(state).from_json(state.to_json()) == state
    events, dead = rows_of(outputs)
    assert len(events) + len(dead) == sum(o.kind in (ACCEPTED, REJECTED) for o in outputs)
    return outputs


def test_every_hostile_message_is_dead_lettered_with_a_reason_and_the_next_event_is_accepted() -> None:
    projection = CaseProjection({})
    for offset, raw in enumerate(HOSTILE):
        outputs = path_of(projection, raw, offset)
        assert [o.kind for o in outputs] == [REJECTED], raw[:60]
    outputs = path_of(projection, e.notified(S), len(HOSTILE))
    assert [(o.kind, o.case_seq) for o in outputs] == [(ACCEPTED, 1)]


def test_the_dead_letter_row_of_deeply_nested_json_is_built() -> None:
    from infra.warehouse.raw_store import DEAD_LETTER_COLUMNS, dead_letter_row

    row = dead_letter_row(b"[" * 1000 + b"]" * 1000, "nesting_too_deep", "", topic="t", partition=0, offset=0)
    assert len(row) == len(DEAD_LETTER_COLUMNS) and row[5] is None  # no envelope could be read


def test_a_failure_inside_the_rules_dead_letters_that_message_only(monkeypatch) -> None:
    import streams.cases.history as history

    projection = CaseProjection({})

    def broken(state, event):  # a bug in a case rule, for one event type
        if event.short_type == "rapid_review.submitted":
            raise RecursionError("maximum recursion depth exceeded")
        return None

    monkeypatch.setattr(history, "case_rule_problem", broken)
    first = path_of(projection, e.notified(S), 0)
    failed = path_of(projection, e.submitted(S, "2020-05-20T00:00:00Z", "2020-05-20"), 1)
    after = path_of(projection, e.feedback(S, "2020-05-21T00:00:00Z", "2020-05-21"), 2)
    assert [o.kind for o in first] == [ACCEPTED]
    assert [(o.kind, o.reason) for o in failed] == [(REJECTED, PROCESSING_ERROR)]
    assert "RecursionError" in (failed[0].detail or "") and failed[0].subject == S
    assert [(o.kind, o.case_seq) for o in after] == [(ACCEPTED, 2)]


def test_a_row_that_cannot_be_built_becomes_a_processing_error_dead_letter() -> None:
    projection = CaseProjection({})
    out = projection.process(e.notified(S), Origin("in", 0, 0))[0]
    broken = type(out)(ACCEPTED, out.raw, out.origin, subject=S, case_seq=0, event=out.event)  # case_seq 0: no row
    events, dead = rows_of([broken])
    assert events == [] and dead[0][1] == PROCESSING_ERROR and "case_seq" in dead[0][2]
    assert failed_row(broken, ValueError("x"))[1] == PROCESSING_ERROR


json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


def _mutated_event(data: st.DataObject) -> bytes:
    """A valid event with one envelope or data field replaced by an arbitrary JSON value."""
    doc = json.loads(e.notified(S))
    where = data.draw(st.sampled_from(["id", "source", "type", "subject", "time", "specversion", "data"]))
    value = data.draw(json_values)
    if where == "data" and isinstance(doc["data"], dict) and doc["data"]:
        doc["data"][data.draw(st.sampled_from(sorted(doc["data"])))] = value
    else:
        doc[where] = value
    text = json.dumps(doc, allow_nan=True)
    return text.encode("utf-8", "surrogatepass")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_arbitrary_bytes_never_stop_the_per_message_path(data: st.DataObject) -> None:
    projection = CaseProjection({})
    messages = data.draw(st.lists(
        st.one_of(
            st.binary(max_size=300),
            st.builds(lambda n, o, c: (o * n + c * n).encode(), st.integers(0, 3000),
                      st.sampled_from(["[", "{\"a\":"]), st.sampled_from(["]", "}"])),
            st.builds(_mutated_event, st.data()),
            st.sampled_from(HOSTILE[:2] + HOSTILE[4:]),
            st.just(e.notified(S)),
            st.just(e.submitted(S, "2020-05-20T00:00:00Z", "2020-05-20")),
        ), min_size=1, max_size=8))
    for offset, raw in enumerate(messages):
        outputs = path_of(projection, raw, offset)  # raises if any step of the path raised
        assert outputs or raw in (e.submitted(S, "2020-05-20T00:00:00Z", "2020-05-20"),) or True
