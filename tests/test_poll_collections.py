"""The collector is held off from a poll's start until its rows are painted, and only then."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tempmail_tui.sandbox.server import SandboxServer
from tempmail_tui.ui import interpreter
from tempmail_tui.ui.interpreter import PollCollections
from tempmail_tui.ui.widgets.message_table import MessageTable

from .app_helpers import make_app, wait_for
from .test_app import start_with_box

SIZE = (120, 36)


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    """A sandbox of this test's own: the tests below break it in different ways."""
    with SandboxServer(smtp_port=None) as sandbox:
        yield sandbox


@pytest.fixture
def collector_on() -> Iterator[None]:
    """The collector on at the start, as in a running app after its first frame."""
    gc.enable()
    yield
    gc.enable()


def test_holds_nest_and_each_lets_go_once(collector_on: None) -> None:
    holds = PollCollections()
    first = holds.hold()
    second = holds.hold()
    assert not gc.isenabled() and holds.held
    first()
    first()  # a second call of the same release changes nothing
    assert not gc.isenabled()
    second()
    assert gc.isenabled() and not holds.held


def test_start_ups_pause_is_left_alone(collector_on: None) -> None:
    # The collector is off until the first frame (console.py): a poll does not turn it on.
    gc.disable()
    holds = PollCollections()
    holds.hold()()
    assert not gc.isenabled()


def test_a_reset_turns_it_on_and_old_holds_let_go_of_nothing(collector_on: None) -> None:
    holds = PollCollections()
    stale = holds.hold()
    holds.reset()
    assert gc.isenabled() and not holds.held
    fresh = holds.hold()
    stale()  # from before the reset: must not end the new hold
    assert not gc.isenabled()
    fresh()
    assert gc.isenabled()


def watch_polls(app: Any, seen: list[bool]) -> None:
    """Record whether the collector is on while each poll runs (on the I/O loop)."""
    service = app.service
    poll = service.poll

    async def watched(email: str) -> Any:
        result = await poll(email)
        seen.append(gc.isenabled())
        return result

    service.poll = watched


async def new_box_polled(app: Any, pilot: Any) -> str:
    """Create a box with `n` and wait for its first poll to be over; its address."""
    email = await start_with_box(app, pilot)
    await wait_for(pilot, lambda: not interpreter.POLL_COLLECTIONS.held, what="first poll")
    return email


async def poll_broken(server: SandboxServer, pilot: Any, **faults: Any) -> None:
    """Break the sandbox so, then check the box again with `R` (a second after the last)."""
    server.state.update_faults(**faults)
    await pilot.pause(1.2)
    await pilot.press("R")


async def test_a_poll_holds_the_collector_until_its_rows_are_painted(
    server: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(server, tmp_path, poll_interval=600.0, background_interval=600.0)
    async with app.run_test(size=SIZE) as pilot:
        email = await new_box_polled(app, pilot)
        assert gc.isenabled()
        seen: list[bool] = []
        watch_polls(app, seen)
        server.state.add_sample(email, "plain")
        await pilot.press("R")
        table = app.main.query_one(MessageTable)
        await wait_for(pilot, lambda: table.row_count == 1, what="the mail's row")
        assert seen == [False]  # off while the poll ran
        await wait_for(pilot, lambda: gc.isenabled(), timeout=2.0, what="the collector back")
        assert not interpreter.POLL_COLLECTIONS.held


async def test_a_failed_poll_lets_go_at_once(server: SandboxServer, tmp_path: Path) -> None:
    app = make_app(server, tmp_path, poll_interval=600.0, background_interval=600.0)
    async with app.run_test(size=SIZE) as pilot:
        await new_box_polled(app, pilot)
        await poll_broken(server, pilot, force_status=500)
        await wait_for(pilot, lambda: app.main.problem is not None, what="the failure shown")
        assert gc.isenabled() and not interpreter.POLL_COLLECTIONS.held


async def test_a_hung_poll_lets_go_after_the_limit(
    server: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(interpreter, "POLL_HOLD_LIMIT", 0.3)
    app = make_app(server, tmp_path, poll_interval=600.0, background_interval=600.0)
    async with app.run_test(size=SIZE) as pilot:
        await new_box_polled(app, pilot)
        await poll_broken(server, pilot, latency=3.0)
        await wait_for(pilot, lambda: interpreter.POLL_COLLECTIONS.held, what="the poll's hold")
        await wait_for(pilot, lambda: gc.isenabled(), timeout=2.0, what="the limit")
        assert not interpreter.POLL_COLLECTIONS.held
        server.state.update_faults(latency=0.0)
