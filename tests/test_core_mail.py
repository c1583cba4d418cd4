"""The mail use cases with no front end: the real client over loopback against the sandbox."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tempmail_tui.api.client import TempMailClient
from tempmail_tui.core.mail import MailService
from tempmail_tui.core.render import HtmlRenderer
from tempmail_tui.core.store import Store
from tempmail_tui.sandbox.server import SandboxServer


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(smtp_port=None) as sandbox:
        yield sandbox


@dataclass
class Setup:
    """A service on the sandbox with a store of its own."""

    service: MailService
    store: Store
    path: Path


@pytest.fixture
async def setup(server: SandboxServer, tmp_path: Path) -> AsyncIterator[Setup]:
    path = tmp_path / "store.sqlite3"
    # A short busy timeout and no retries: a store call stuck on a lock gives up in 2 s.
    store = Store.open(path, busy_timeout=2.0, lock_retries=0)
    renderer = HtmlRenderer()
    client = TempMailClient(server.api_key, base_url=server.base_url, retries=0)
    service = MailService(client, store, renderer)
    try:
        yield Setup(service, store, path)
    finally:
        await service.aclose()
        renderer.close()
        store.close()


async def test_a_locked_store_never_delays_a_request(server: SandboxServer, setup: Setup) -> None:
    service = setup.service
    box = server.state.create_mailbox()
    server.state.add_sample(box.email, "plain")
    await asyncio.to_thread(setup.store.add_manual_address, box.email)
    loop = asyncio.get_running_loop()
    gaps: list[float] = []

    async def tick() -> None:
        last = loop.time()
        while True:
            await asyncio.sleep(0.02)
            now = loop.time()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    # Another process holds the write lock: the poll's store write must wait for it.
    locker = sqlite3.connect(setup.path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        used = server.state.quota().used
        poll = asyncio.create_task(service.poll(box.email))
        async with asyncio.timeout(10):
            while server.state.quota().used == used:
                await asyncio.sleep(0.01)
        # The listing is answered; its store write is now waiting on the lock.
        await asyncio.sleep(0.2)
        started = loop.time()
        domains = await service.domains()
        took = loop.time() - started
        waiting = not poll.done()
    finally:
        locker.execute("ROLLBACK")
        locker.close()
        released = loop.time()
    result = await poll
    finished = loop.time()
    ticker.cancel()
    assert domains.domains
    assert max(gaps) < 0.5, f"the loop stalled for {max(gaps):.2f} s"
    assert waiting, "the poll was not waiting on the store while the request ran"
    assert took < 0.5, f"a request took {took:.2f} s while the store was locked"
    # The poll did wait for the lock, and then stored the mail.
    assert finished >= released
    assert result.store_error is None and len(result.sync.new) == 1
    assert [m.email for m in await service.mailboxes()] == [box.email]
