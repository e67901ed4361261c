"""The worker's Faust consumer hands a message over in place, and still abandons a hand-over that
waits when the flow is suspended (a rebalance), as Faust's own ``wait_first`` does."""

from __future__ import annotations

import asyncio
from typing import Any

from mode import Service

from streams.app import HandOverInPlace


class Fetcher(HandOverInPlace, Service):
    """A service with the consumer's ``wait_first`` (the fetcher loop calls it on the consumer)."""


def _run(main: Any) -> Any:
    async def with_service() -> Any:
        fetcher = Fetcher()
        await fetcher.start()
        try:
            return await main(fetcher)
        finally:
            await fetcher.stop()
    return asyncio.run(with_service())


def test_a_hand_over_that_does_not_wait_runs_in_place_without_tasks() -> None:
    delivered: list[int] = []

    async def hand_over(n: int) -> int:
        delivered.append(n)
        return n

    async def main(fetcher: Fetcher) -> Any:
        suspend_flow = asyncio.Event()
        tasks_before = len(asyncio.all_tasks())
        results = [await fetcher.wait_first(hand_over(n), suspend_flow.wait()) for n in range(3)]
        assert len(asyncio.all_tasks()) == tasks_before
        return results

    results = _run(main)
    assert delivered == [0, 1, 2]
    assert [r.results for r in results] == [[0], [1], [2]]
    assert not any(r.stopped for r in results)


def test_a_hand_over_that_waits_finishes_with_what_it_waited_for() -> None:
    async def main(fetcher: Fetcher) -> Any:
        room = asyncio.get_running_loop().create_future()
        steps: list[str] = []

        async def hand_over() -> str:
            steps.append("decoded")
            await asyncio.sleep(0)          # a bare yield
            value = await room              # a full queue: waits for room
            steps.append(f"queued {value}")
            return "done"

        asyncio.get_running_loop().call_later(0.05, room.set_result, "room")
        result = await fetcher.wait_first(hand_over(), asyncio.Event().wait())
        return steps, result.results

    steps, results = _run(main)
    assert steps == ["decoded", "queued room"]
    assert results == ["done"]


def test_a_suspended_flow_abandons_a_hand_over_that_waits() -> None:
    async def main(fetcher: Fetcher) -> Any:
        room = asyncio.get_running_loop().create_future()
        seen: list[str] = []

        async def hand_over() -> None:
            try:
                await room
            except asyncio.CancelledError:
                seen.append("cancelled where it waited")
                raise
            seen.append("queued")  # must not happen: the message belongs to the old assignment

        suspend_flow = asyncio.Event()
        asyncio.get_running_loop().call_later(0.05, suspend_flow.set)
        result = await fetcher.wait_first(hand_over(), suspend_flow.wait())
        await asyncio.sleep(0.01)  # let the cancelled hand-over run to its end
        return seen, result, room

    seen, result, room = _run(main)
    assert seen == ["cancelled where it waited"]
    assert room.cancelled()
    assert result.results == [True]  # only suspend_flow.wait() finished


def test_other_waits_go_to_faust() -> None:
    async def main(fetcher: Fetcher) -> Any:
        async def slow() -> str:
            await asyncio.sleep(0.01)
            return "slow"
        return await fetcher.wait_first(slow(), timeout=1.0)

    assert _run(main).results == ["slow"]


def test_an_error_in_a_hand_over_propagates() -> None:
    async def main(fetcher: Fetcher) -> Any:
        async def broken() -> None:
            raise ValueError("undecodable")
        try:
            await fetcher.wait_first(broken(), asyncio.Event().wait())
        except ValueError as exc:
            return str(exc)
        return None

    assert _run(main) == "undecodable"
