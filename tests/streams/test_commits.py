"""The worker's offset bookkeeping (``streams.app.ExactCommits``), its revocation fence
(``streams.app.FencedRevocation``) and the case agent's order guard (``streams.cases.agents.in_order``),
without Kafka: what may be committed from a partition's acked offsets, the order a revocation keeps
(the batch in hand, its commit, then Faust dropping its bookkeeping), and which events of a batch
are handled. The same on a real broker, with rebalances and a killed worker: test_scale_out.py
and test_rebalance.py in tests/streams/cases."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from types import SimpleNamespace
from typing import Any

from faust.types import TP as TopicPartition

from streams.app import ExactCommits, FencedRevocation, StreamApp

TP = TopicPartition("cspr.events.inbound", 0)


class Book(ExactCommits):
    """Faust's consumer's bookkeeping of one partition: acked offsets and the committed offset."""

    app = SimpleNamespace(exact_topics={TP.topic})

    def __init__(self, committed: int | None) -> None:
        self._acked: Any = defaultdict(list)
        self._acked_index: Any = defaultdict(set)
        self._committed_offset: Any = defaultdict(lambda: None)
        if committed is not None:
            self._committed_offset[TP] = committed

    def ack(self, *offsets: int) -> None:
        for offset in offsets:  # as Faust's ack: one entry per delivered message acked
            self._acked[TP].append(offset)
            self._acked_index[TP].add(offset)

    def commit(self) -> int | None:
        offset = self._new_offset(TP)
        if offset is not None:
            self._committed_offset[TP] = offset
        return offset


def test_the_commit_runs_through_every_acked_offset_whatever_the_duplicates() -> None:
    book = Book(committed=10)
    book.ack(10, 11, 11, 12, 12, 13)  # a seek back after a rebalance delivers offsets twice
    assert book.commit() == 14        # Faust's run of consecutive offsets stopped at the first duplicate (12)
    assert book._acked[TP] == [] and book._acked_index[TP] == set()


def test_nothing_is_committed_past_an_offset_not_acked() -> None:
    book = Book(committed=10)
    book.ack(11, 12)
    assert book.commit() is None  # Faust committed 13: it let a run start one past the committed offset
    book.ack(10)
    assert book.commit() == 13


def test_a_committed_offset_of_0_is_a_position_like_any_other() -> None:
    book = Book(committed=0)
    book.ack(1, 2)
    assert book.commit() is None  # Faust's ``if committed_offset:`` skipped the check for 0 and committed 3
    book.ack(0)
    assert book.commit() == 3


def test_offsets_below_the_committed_one_are_forgotten() -> None:
    book = Book(committed=10)
    book.ack(8, 9, 10, 12)
    assert book.commit() == 11
    assert book._acked[TP] == [12] and book._acked_index[TP] == {12}


def test_without_a_committed_offset_the_run_starts_at_the_first_acked() -> None:
    book = Book(committed=None)  # only when the topic's first offset could not be read
    book.ack(5, 6, 8)
    assert book.commit() == 7
    assert book._acked[TP] == [8]


class Revoked:
    """Faust's consumer below the fence: it drops its bookkeeping when told partitions are revoked."""

    def __init__(self, app: Any, log: list[str]) -> None:
        self.app, self.log = app, log

    def assignment(self) -> set[Any]:
        return {TP}

    async def maybe_wait_for_commit_to_finish(self) -> bool:
        return False

    async def commit(self) -> bool:
        self.log.append("commit")
        return True

    async def on_partitions_revoked(self, revoked: Any) -> None:
        self.log.append(f"bookkeeping dropped (revoking={self.app.revoking})")


class Consumer(FencedRevocation, Revoked):
    pass


def _app() -> Any:
    return SimpleNamespace(in_flight=asyncio.Lock(), consumer_generation_id=3, fenced_generation=-1,
                           should_stop=False, revoking=False)


def test_a_revocation_waits_for_the_batch_in_hand_then_commits_then_fences_its_generation() -> None:
    log: list[str] = []

    async def main() -> None:
        app = _app()
        consumer = Consumer(app, log)

        async def batch() -> None:
            async with app.in_flight:
                log.append("batch started")
                await asyncio.sleep(0.3)  # longer than nothing: the revocation comes meanwhile
                log.append("batch done")
            log.append("batch acked")     # take_events acks as soon as the agent's loop body is left

        agent = asyncio.create_task(batch())
        await asyncio.sleep(0.05)
        await consumer.on_partitions_revoked({TP})
        await agent
        assert app.fenced_generation == 3 and not app.revoking
        message = SimpleNamespace(generation_id=3)
        assert not StreamApp.is_current(app, message)  # fetched before the revocation: stale
        app.consumer_generation_id = 4                  # the next assignment
        assert not StreamApp.is_current(app, message)
        assert StreamApp.is_current(app, SimpleNamespace(generation_id=4))

    asyncio.run(main())
    assert log == ["batch started", "batch done", "batch acked", "commit", "bookkeeping dropped (revoking=True)"]


class Seeking:
    """The consumer as ``in_order`` sees it: assignment, next offsets, seeks."""

    def __init__(self, next_offset: int) -> None:
        self.next_offsets: dict[Any, int | None] = {TP: next_offset}
        self.sought: dict[Any, tuple[int | None, float]] = {}
        self.jumps: dict[Any, tuple[int, int, int]] = {}
        self.seeks: list[int] = []
        self.skipped: list[tuple[int, int]] = []

    def assignment(self) -> set[Any]:
        return {TP}

    async def seek(self, tp: Any, offset: int) -> None:
        self.seeks.append(offset)

    def skip(self, tp: Any, start: int, end: int) -> None:
        self.skipped.append((start, end))


def _event(offset: int, generation: int = 4, tp: Any = TP) -> Any:
    return SimpleNamespace(message=SimpleNamespace(tp=tp, partition=tp.partition, offset=offset,
                                                   generation_id=generation))


def _in_order(monkeypatch: Any, consumer: Seeking, offsets: list[Any]) -> tuple[list[int], list[int]]:
    from streams.cases import agents

    app: Any = SimpleNamespace(consumer=consumer, consumer_generation_id=4, fenced_generation=3)
    app.is_current = lambda message: StreamApp.is_current(app, message)
    monkeypatch.setattr(agents, "app", app)
    batch: list[Any] = [o if isinstance(o, SimpleNamespace) else _event(o) for o in offsets]
    handled, held = asyncio.run(agents.in_order(batch))
    return [e.message.offset for e in handled.get(0, [])], [e.message.offset for e in held]


def test_each_offset_is_handled_once_in_order(monkeypatch: Any) -> None:
    consumer = Seeking(5)
    assert _in_order(monkeypatch, consumer, [5, 6, 6, 7, 5]) == ([5, 6, 7], [6, 5])
    assert consumer.next_offsets[TP] == 8 and consumer.seeks == []


def test_a_jump_is_not_handled_and_the_partition_is_read_again_from_the_offset_expected(monkeypatch: Any) -> None:
    consumer = Seeking(5)
    assert _in_order(monkeypatch, consumer, [8, 9]) == ([], [8, 9])
    assert consumer.seeks == [5]
    assert _in_order(monkeypatch, consumer, [10]) == ([], [10])  # the seek is under way: not again at once
    assert consumer.seeks == [5]
    assert _in_order(monkeypatch, consumer, [5, 6, 7, 8]) == ([5, 6, 7, 8], [])


def test_events_of_another_generation_or_partition_or_before_the_seek_are_not_handled(monkeypatch: Any) -> None:
    other = TopicPartition("cspr.events.inbound", 1)
    consumer = Seeking(5)
    assert _in_order(monkeypatch, consumer, [_event(5, generation=3), _event(5, tp=other), 5]) == ([5], [5, 5])
    consumer.next_offsets.clear()  # revoked, or assigned and not sought yet
    assert _in_order(monkeypatch, consumer, [6]) == ([], [6])
    assert consumer.seeks == []


def test_an_offset_the_broker_does_not_have_is_sought_again_then_passed(monkeypatch: Any) -> None:
    """Offsets 5-7 are not on the broker (a transaction's marker, or deleted by retention): each
    seek back from 5 brings 8 first. Sought again every RESEEK_S; after HOLE_AFTER_SEEKS seeks the
    partition goes on from 8 and the commit may pass 5-7."""
    from streams.cases import agents

    consumer = Seeking(5)
    assert _in_order(monkeypatch, consumer, [8, 9]) == ([], [8, 9])
    assert consumer.seeks == [5] and consumer.jumps[TP] == (5, 8, 1)
    assert _in_order(monkeypatch, consumer, [8, 9]) == ([], [8, 9])  # what the seek back brings: no new seek
    assert consumer.seeks == [5]
    at = consumer.sought[TP][1]
    asyncio.run(agents.seek_again(consumer, at + 1))  # too soon
    assert consumer.seeks == [5]
    for n in range(1, agents.HOLE_AFTER_SEEKS):
        asyncio.run(agents.seek_again(consumer, at + n * agents.RESEEK_S))
    assert consumer.seeks == [5] * agents.HOLE_AFTER_SEEKS and consumer.skipped == []
    asyncio.run(agents.seek_again(consumer, at + agents.HOLE_AFTER_SEEKS * agents.RESEEK_S))
    assert consumer.skipped == [(5, 8)] and consumer.seeks[-1] == 8 and consumer.next_offsets[TP] == 8
    assert consumer.jumps == {}
    assert _in_order(monkeypatch, consumer, [8, 9]) == ([8, 9], [])


def test_a_jump_that_a_seek_back_resolves_is_forgotten(monkeypatch: Any) -> None:
    from streams.cases import agents

    consumer = Seeking(5)
    _in_order(monkeypatch, consumer, [8])
    assert _in_order(monkeypatch, consumer, [5, 6, 7, 8]) == ([5, 6, 7, 8], [])
    assert consumer.jumps == {}
    asyncio.run(agents.seek_again(consumer, consumer.sought[TP][1] + 60))
    assert consumer.seeks == [5] and consumer.skipped == []


def test_offsets_passed_over_let_the_commit_through() -> None:
    book = Book(committed=5)
    book.ack(8, 9)
    assert book.commit() is None
    book.skip(TP, 5, 8)
    assert book.commit() == 10


def test_a_jump_just_after_the_assignments_seek_is_sought_again_if_the_offset_does_not_come(monkeypatch: Any) -> None:
    """Just after the assignment's seek, a jump may be the old position's fetch (the offset expected
    comes next): no seek at once, but if it has not come within RESEEK_S, the partition is sought
    back (else a partition whose expected offset does not exist would wait for ever)."""
    import time

    from streams.cases import agents

    consumer = Seeking(5)
    consumer.sought[TP] = (5, time.monotonic())  # the assignment's seek, just now
    assert _in_order(monkeypatch, consumer, [8]) == ([], [8])
    assert consumer.seeks == [] and consumer.jumps[TP] == (5, 8, 0)
    asyncio.run(agents.seek_again(consumer, consumer.sought[TP][1] + agents.RESEEK_S))
    assert consumer.seeks == [5] and consumer.jumps[TP] == (5, 8, 1)
