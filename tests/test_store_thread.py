"""The store thread runs calls in order, off the caller's loop, and hands back their failures."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest

from tempmail_tui.core.store import StoreError
from tempmail_tui.core.store_thread import StoreThread


@pytest.fixture
def worker() -> Iterator[StoreThread]:
    thread = StoreThread()
    yield thread
    thread.close()


async def test_calls_run_in_the_order_they_were_submitted(worker: StoreThread) -> None:
    seen: list[int] = []

    def record(n: int) -> int:
        # Earlier calls sleep longer: only a single ordered thread keeps the order.
        time.sleep(0.002 * (20 - n))
        seen.append(n)
        return n

    results = await asyncio.gather(*(worker.run(record, n) for n in range(20)))
    assert results == list(range(20))
    assert seen == list(range(20))


async def test_a_slow_store_call_leaves_the_loop_free(worker: StoreThread) -> None:
    release = threading.Event()
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while not release.is_set():
            ticks += 1
            await asyncio.sleep(0.01)

    def stuck() -> str:
        # Stands in for SQLite waiting on another process's lock.
        release.wait(5)
        return "done"

    tick_task = asyncio.create_task(ticker())
    call = asyncio.create_task(worker.run(stuck))
    await asyncio.sleep(0.3)
    assert ticks >= 5, "the loop stalled while the store call waited"
    assert not call.done()
    release.set()
    assert await call == "done"
    await tick_task


async def test_the_call_runs_on_the_store_thread(worker: StoreThread) -> None:
    assert not worker.is_current
    assert await worker.run(lambda: worker.is_current)


async def test_a_failure_reaches_the_caller_and_the_thread_goes_on(worker: StoreThread) -> None:
    def fail() -> None:
        raise StoreError("disk full")

    with pytest.raises(StoreError, match="disk full"):
        await worker.run(fail)
    assert await worker.run(lambda: 42) == 42


def test_blocking_call_from_a_plain_thread(worker: StoreThread) -> None:
    assert worker.call(sum, [1, 2, 3]) == 6


def test_close_finishes_queued_calls_then_refuses_new_ones() -> None:
    worker = StoreThread()
    done: list[int] = []
    futures = [worker.submit(done.append, n) for n in range(5)]
    worker.close()
    assert [f.result(1) for f in futures] == [None] * 5
    assert done == [0, 1, 2, 3, 4]
    with pytest.raises(StoreError, match="closed"):
        worker.submit(done.append, 5)
    worker.close()  # closing twice is harmless
