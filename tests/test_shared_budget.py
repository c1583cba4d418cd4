"""One quota budget for every process: the pollers table, and waiters sharing it for real."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tempmail_tui.core.budget import ALONE_BEAT_EVERY, BEAT_EVERY, BudgetShare
from tempmail_tui.core.config import Config
from tempmail_tui.core.schedule import PollPolicy, PollScheduler
from tempmail_tui.core.session import open_mail
from tempmail_tui.core.store import PollerBeat, Store
from tempmail_tui.core.waiting import WaitStopped, WaitTimedOut, any_message, wait_for
from tempmail_tui.sandbox.server import SandboxServer

REPO = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def beat(poller: str, projected: int, *, every: float = 1.0, requests: int = 0) -> PollerBeat:
    return PollerBeat(poller, "wait", every, projected, requests)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def test_pollers_see_each_other_until_one_leaves_or_goes_stale(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "store.sqlite3"
    with Store.open(path, clock=clock) as first, Store.open(path, clock=clock) as second:
        alone = first.beat_poller(beat("a", 100))
        assert alone is not None and (alone.count, alone.projected) == (0, 0)
        seen = second.beat_poller(beat("b", 40))
        assert seen is not None and (seen.count, seen.projected) == (1, 100)
        seen = first.beat_poller(beat("a", 90))
        assert seen is not None and (seen.count, seen.projected) == (1, 40)
        first.leave_poller("a")
        seen = second.beat_poller(beat("b", 40))
        assert seen is not None and seen.count == 0
        first.beat_poller(beat("a", 90))
        # Five beats missed (and never under 5 s): gone.
        clock.now += timedelta(seconds=5.5)
        seen = second.beat_poller(beat("b", 40))
        assert seen is not None and seen.count == 0


def test_a_reader_alone_beats_less_often_and_is_not_taken_for_stale(tmp_path: Path) -> None:
    clock = Clock()
    share = BudgetShare("reader", alone_every=ALONE_BEAT_EVERY)
    scheduler = PollScheduler(clock=clock)
    assert share.interval(alone=True) == ALONE_BEAT_EVERY > BEAT_EVERY
    assert share.interval(alone=False) == BEAT_EVERY
    # A wait and its scripts keep beating every second, alone or not.
    assert BudgetShare("wait").interval(alone=True) == BEAT_EVERY
    path = tmp_path / "store.sqlite3"
    with Store.open(path, clock=clock) as reader, Store.open(path, clock=clock) as waiter:
        quiet = reader.beat_poller(share.beat(scheduler, alone=True))
        assert quiet is not None and quiet.count == 0
        # Its row says when the next beat comes: a newcomer finds it live well past the
        # 5 s that drop a poller beating every second.
        clock.now += timedelta(seconds=4 * ALONE_BEAT_EVERY)
        seen = waiter.beat_poller(beat("w", 40))
        assert seen is not None and seen.count == 1
        # Not alone any more: its next beat says every second again.
        assert reader.beat_poller(share.beat(scheduler, alone=False)) is not None
        assert reader.beat_poller(share.beat(scheduler, alone=False)) is not None
        clock.now += timedelta(seconds=5.5)
        seen = waiter.beat_poller(beat("w", 40))
        assert seen is not None and seen.count == 0


def test_a_poller_whose_process_died_drops_out_at_once(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    with Store.open(path) as store:
        store.beat_poller(beat("dead", 500))
        done = subprocess.run(
            [sys.executable, "-c", "import os; print(os.getpid())"],
            check=True,
            capture_output=True,
            text=True,
        )
        store._run(  # the row as the dead process left it
            lambda conn: conn.execute(
                "UPDATE pollers SET pid = ? WHERE id = 'dead'", (int(done.stdout),)
            ),
            write=True,
        )
        seen = store.beat_poller(beat("live", 10))
        assert seen is not None and seen.count == 0


def test_a_store_that_cannot_be_written_plans_alone(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    Store.open(path).close()
    with Store.open(path, read_only=True) as read_only:
        assert read_only.beat_poller(beat("a", 10)) is None
    (tmp_path / "blocked").write_text("a file where a directory should be")
    with Store.open(tmp_path / "blocked" / "store.sqlite3") as fallback:
        assert fallback.path is None  # running in memory: this process alone
        assert fallback.beat_poller(beat("a", 10)) is None


async def test_a_wait_registers_while_it_polls_and_leaves_when_it_ends(tmp_path: Path) -> None:
    with SandboxServer(smtp_port=None) as server:
        box = server.state.create_mailbox()
        config = Config(api_key=server.api_key, base_url=server.base_url)
        path = tmp_path / "store.sqlite3"
        async with open_mail(config, store_path=path) as service:
            waiting = asyncio.create_task(
                wait_for(service, box.email, any_message, timeout=1.2, policy=PollPolicy())
            )
            await asyncio.sleep(0.5)
            with Store.open(path) as look:
                seen = look.beat_poller(beat("look", 0))
            assert seen is not None and seen.count == 1 and seen.projected > 0
            with pytest.raises(WaitTimedOut):
                await waiting
            with Store.open(path) as look:
                seen = look.beat_poller(beat("look", 0))
            assert seen is not None and seen.count == 0


# -- several processes on one quota ------------------------------------------------------

#: Seconds each poller waits; they poll every second when the quota allows.
WINDOW = 5.0
WAITERS = 4
#: Requests left over the reserve when they start: far fewer than they would make alone.
BUDGET = 12


def _waiter(server: SandboxServer, address: str) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env.update(
        TEMPMAIL_BASE_URL=server.base_url,
        TEMPMAIL_API_KEY=server.api_key,
        TEMPMAIL_POLL_INTERVAL="1",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "tempmail_tui", "wait", address, "--timeout", str(WINDOW)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def test_parallel_waiters_and_a_reader_stretch_together_within_the_plan(
    tmp_path: Path,
) -> None:
    policy = PollPolicy(fast_interval=1.0)
    with SandboxServer(smtp_port=None) as server:
        boxes = [server.state.create_mailbox().email for _ in range(WAITERS + 1)]
        config = Config(api_key=server.api_key, base_url=server.base_url)
        # Alone, with quota to spare, a poller checks about once a second.
        async with open_mail(config, store_path=tmp_path / "alone.sqlite3") as service:
            before = server.state.quota().used
            with pytest.raises(WaitTimedOut):
                await wait_for(service, boxes[0], any_message, timeout=2.0, policy=policy)
            alone_rate = (server.state.quota().used - before) / 2.0
        assert alone_rate >= 1.0

        limit = 1000  # a reserve of 10
        server.state.set_quota(
            limit=limit,
            used=limit - 10 - BUDGET,
            reset_at=datetime.now(UTC) + timedelta(hours=1),
        )
        before = server.state.quota().used
        started = time.monotonic()
        waiters = [_waiter(server, address) for address in boxes[1:]]
        # The reader's part, on its own connection to the same store file the waiters use.
        store_path = Path(os.environ["XDG_DATA_HOME"]) / "tempmail-tui" / "store.sqlite3"
        async with open_mail(config, store_path=store_path) as service:
            try:
                await wait_for(
                    service, boxes[0], any_message, timeout=WINDOW, policy=policy, kind="reader"
                )
            except (WaitTimedOut, WaitStopped) as error:
                reader_end: Exception = error
        ended = [await asyncio.to_thread(w.communicate, timeout=30) for w in waiters]
        elapsed = time.monotonic() - started
        spent = server.state.quota().used - before
    pollers = WAITERS + 1
    # Alone each would have spent about one request a second over its window.
    assert alone_rate * WINDOW * pollers > 2 * BUDGET
    # Together they kept to the budget, but for the first check each made before it
    # heard of the others' plans.
    assert spent <= BUDGET + pollers, f"{spent} requests in {elapsed:.1f} s"
    # Each waited its whole window and timed out (no mail came): none ran into the
    # reserve, as they do when each plans as if it owned what is left.
    assert isinstance(reader_end, WaitTimedOut), reader_end
    for waiter, (_out, err) in zip(waiters, ended, strict=True):
        assert waiter.returncode == 1, err
        assert "no new matching message" in err
