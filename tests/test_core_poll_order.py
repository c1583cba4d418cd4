"""A poll's mail reaches the caller before it is written, and the write keeps its place.

The real client over loopback against the sandbox; the write is held back by another
connection holding the store's write lock, as another tempmail-tui writing would.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from tempmail_tui.api.client import TempMailClient
from tempmail_tui.api.errors import ApiError
from tempmail_tui.core.mail import MailService
from tempmail_tui.core.render import HtmlRenderer
from tempmail_tui.core.store import Store, StoreError
from tempmail_tui.errors import LocalError
from tempmail_tui.sandbox.server import SandboxServer

#: How long a store call waits for another process's lock before giving up.
BUSY_TIMEOUT = 0.5


@dataclass
class Setup:
    """A service on the sandbox with a store of its own, and one box it knows."""

    service: MailService
    path: Path
    email: str


@pytest.fixture
async def setup(server: SandboxServer, tmp_path: Path) -> AsyncIterator[Setup]:
    path = tmp_path / "store.sqlite3"
    store = Store.open(path, busy_timeout=BUSY_TIMEOUT, lock_retries=0)
    client = TempMailClient(server.api_key, base_url=server.base_url, retries=0)
    service = MailService(client, store, HtmlRenderer())
    box = server.state.create_mailbox()
    store.add_manual_address(box.email)
    try:
        yield Setup(service, path, box.email)
    finally:
        await service.aclose()
        store.close()


@contextmanager
def write_lock(path: Path) -> Iterator[None]:
    """Hold the store's write lock from another connection (readers still read)."""
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        locker.execute("ROLLBACK")
        locker.close()


def stored_ids(path: Path) -> set[str]:
    """The ids in the store file, read through a connection of its own."""
    conn = sqlite3.connect(path)
    try:
        return {row[0] for row in conn.execute("SELECT id FROM messages")}
    finally:
        conn.close()


async def test_the_mail_is_given_before_it_is_written(server: SandboxServer, setup: Setup) -> None:
    service, email = setup.service, setup.email
    earlier = server.state.now() - timedelta(minutes=1)
    first = server.state.add_sample(email, "plain", received_at=earlier)
    with write_lock(setup.path):
        # The write cannot start: the poll must answer anyway, with the mail.
        result = await service.poll(email)
        assert result.storing is not None and not result.storing.done()
        assert stored_ids(setup.path) == set()
        assert result.sync.new == (first.id,) and result.initial
        assert result.messages is not None and [m.id for m in result.messages] == [first.id]
        # A second poll with more mail, before the first write is done: it queues behind it.
        second = server.state.add_sample(email, "verification")
        later = asyncio.create_task(service.poll(email))
        await asyncio.sleep(0.05)
    assert await service.stored(result) is None
    again = await later
    assert await service.stored(again) is None
    # Only the mail new to the second poll is news; both are shown, newest first.
    assert again.sync.new == (second.id,) and not again.initial
    assert again.messages is not None
    assert [m.id for m in again.messages] == [second.id, first.id]
    # What was shown is what the store now reads, field for field, and the very objects:
    # the list compares rows by identity first.
    read = await service.summaries(email)
    assert list(again.messages) == read
    assert all(shown is kept for shown, kept in zip(again.messages, read, strict=True))
    assert stored_ids(setup.path) == {first.id, second.id}


async def test_a_failed_write_is_local_and_the_mail_stays(
    server: SandboxServer, setup: Setup
) -> None:
    service, email = setup.service, setup.email
    sample = server.state.add_sample(email, "plain")
    with write_lock(setup.path):
        result = await service.poll(email)
        error = await service.stored(result)
    # This machine's failure, worded as such: never the server's.
    assert isinstance(error, StoreError) and isinstance(error, LocalError)
    assert not isinstance(error, ApiError)
    assert "local store" in str(error)
    # Still shown, still unread, still openable: held in memory.
    assert [m.id for m in await service.messages(email)] == [sample.id]
    assert (await service.unread_counts())[email] == 1
    assert stored_ids(setup.path) == set()
    # The lock is gone: the next poll stores it without announcing it again.
    after = await service.poll(email)
    assert await service.stored(after) is None
    assert after.sync.new == () and stored_ids(setup.path) == {sample.id}
    assert [m.id for m in await service.messages(email)] == [sample.id]


async def test_a_message_deleted_before_the_write_lands_stays_deleted(
    server: SandboxServer, setup: Setup
) -> None:
    service, email = setup.service, setup.email
    doomed = server.state.add_sample(email, "plain")
    with write_lock(setup.path):
        result = await service.poll(email)
        # The delete's store call queues behind the poll's write.
        deleting = asyncio.create_task(service.delete_message(doomed.id))
        await asyncio.sleep(0.05)
    assert await service.stored(result) is None
    assert await deleting
    assert await service.messages(email) == [] and stored_ids(setup.path) == set()


async def test_closing_the_service_finishes_a_write_in_progress(
    server: SandboxServer, setup: Setup
) -> None:
    service, email = setup.service, setup.email
    sample = server.state.add_sample(email, "plain")
    with write_lock(setup.path):
        result = await service.poll(email)
        closing = asyncio.create_task(service.aclose())
        await asyncio.sleep(0.05)
        assert not closing.done()
    await closing
    assert result.storing is not None and result.storing.result() is None
    # As the command line would see it afterwards, from a store of its own.
    with Store.open(setup.path) as fresh:
        assert [m.id for m in fresh.messages(email)] == [sample.id]


async def test_a_quiet_poll_writes_nothing(server: SandboxServer, setup: Setup) -> None:
    service, email = setup.service, setup.email
    sample = server.state.add_sample(email, "plain")
    first = await service.poll(email)
    assert first.sync.new == (sample.id,) and await service.stored(first) is None
    with write_lock(setup.path):
        # Nothing new: the poll answers, and needs no write (it would wait for the lock).
        quiet = await service.poll(email)
        assert quiet.storing is None and quiet.store_error is None
        assert not quiet.sync.any and not quiet.changed
        # Mail that changes the box is still written, behind the lock.
        fresh = server.state.add_sample(email, "verification")
        busy = await service.poll(email)
        assert busy.sync.new == (fresh.id,)
        assert busy.storing is not None and not busy.storing.done()
    assert await service.stored(busy) is None
    assert stored_ids(setup.path) == {sample.id, fresh.id}
