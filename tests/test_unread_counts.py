"""Unread counts: a store read that answers after a poll never puts an older count back."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tempmail_tui.core.store import Store
from tempmail_tui.sandbox.server import SandboxServer

from .app_helpers import make_app, wait_for
from .test_app import SIZE, sidebar


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A sandbox of this test's own."""
    with SandboxServer(smtp_port=None) as server:
        yield server


async def _until(flag: threading.Event) -> None:
    """Wait on the I/O loop, without holding it, until another thread sets ``flag``."""
    for _ in range(1000):
        if flag.is_set():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the test never let the read go on")


async def test_a_poll_counted_while_the_archive_was_read_keeps_its_count(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    # The store knows the box; the server has three unread mails in it. Start-up's second
    # read (the archive) reads the counts before the first poll is written, and answers
    # after the poll's mail is on screen: the count the poll set stays.
    box = sandbox.state.create_mailbox()
    for number in range(3):
        sandbox.state.deliver(box.email, subject=f"Mail {number}", text="Hello.")
    with Store.open(tmp_path / "store.sqlite3") as store:
        store.add_mailbox(box)
    read, answer = threading.Event(), threading.Event()
    app = make_app(sandbox, tmp_path, background_interval=600)
    original_connect = app.connect

    def connect(key: str) -> None:
        original_connect(key)
        service: Any = app.service
        counts, poll = service.unread_counts, service.poll

        async def unread_counts(*, include_gone: bool = True) -> Any:
            result = await counts(include_gone=include_gone)
            if include_gone:  # the archive's read: it answers when the test says
                read.set()
                await _until(answer)
            return result

        async def held_poll(email: str) -> Any:
            await _until(read)  # the read comes first, before the poll's write
            return await poll(email)

        service.unread_counts, service.poll = unread_counts, held_poll

    app.connect = connect  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.main.unread.get(box.email) == 3, what="the poll")
        answer.set()
        await wait_for(pilot, lambda: app.main.archive_listed, what="the archive read")
        await pilot.pause(0.2)
        assert app.main.unread.get(box.email) == 3
        bar = sidebar(app)
        shown = [line.text for line in bar.render_lines(bar.region.reset_offset)]
        assert any("3 unread" in line for line in shown)
