"""The mail use cases with no front end: the real client over loopback against the sandbox."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tempmail_tui.api.client import TempMailClient
from tempmail_tui.api.errors import NotFoundError
from tempmail_tui.api.models import Message
from tempmail_tui.core.config import Config
from tempmail_tui.core.mail import MailService
from tempmail_tui.core.render import HtmlRenderer
from tempmail_tui.core.session import NoApiKeyError, known_boxes, open_mail
from tempmail_tui.core.store import Store, StoreReadOnlyError
from tempmail_tui.sandbox.records import SandboxMailbox, SandboxMessage
from tempmail_tui.sandbox.server import SandboxServer


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
        result = await poll
        started = loop.time()
        domains = await service.domains()
        took = loop.time() - started
        assert result.storing is not None
        waiting = not result.storing.done()
    finally:
        locker.execute("ROLLBACK")
        locker.close()
        released = loop.time()
    stored = await service.stored(result)
    finished = loop.time()
    ticker.cancel()
    assert domains.domains
    assert max(gaps) < 0.5, f"the loop stalled for {max(gaps):.2f} s"
    assert waiting, "the poll's write was not waiting on the store while the request ran"
    assert took < 0.5, f"a request took {took:.2f} s while the store was locked"
    # The write did wait for the lock, and then stored the mail.
    assert finished >= released
    assert stored is None and result.store_error is None and len(result.sync.new) == 1
    assert [m.email for m in await service.mailboxes()] == [box.email]


# -- fetching ------------------------------------------------------------------------------------


async def test_fetch_remembers_the_box_and_stores_its_mail_newest_first(
    server: SandboxServer, setup: Setup
) -> None:
    box = server.state.create_mailbox()
    older = server.state.add_sample(box.email, "plain")
    newer = server.state.add_sample(box.email, "verification")

    fetched = await setup.service.fetch(box.email.upper())

    # Filed under the box asked for, spelt as the store keeps it.
    assert fetched.mailbox.casefold() == box.email.casefold()
    assert [m.id for m in fetched.messages] == [newer.id, older.id]
    assert fetched.store_error is None and not fetched.gone and fetched.unreadable == ()
    assert {m.id for m in await setup.service.messages(fetched.mailbox)} == {older.id, newer.id}
    assert [b.email for b in await setup.service.mailboxes()] == [fetched.mailbox]


async def test_fetch_of_a_box_gone_on_the_server(server: SandboxServer, setup: Setup) -> None:
    box = server.state.create_mailbox()
    kept = server.state.add_sample(box.email, "plain")
    await setup.service.fetch(box.email)
    server.state.delete_mailbox(server.api_key, box.email)

    with pytest.raises(NotFoundError):
        await setup.service.fetch(box.email)
    known = await setup.service.mailbox(box.email)
    assert known is not None and known.state == "expired"

    stored = await setup.service.fetch(box.email, or_stored=True)
    assert stored.gone and [m.id for m in stored.messages] == [kept.id]
    with pytest.raises(NotFoundError):
        await setup.service.fetch("nobody-here@example.com", or_stored=True)


async def test_fetch_into_a_store_that_cannot_keep_it_still_gives_the_mail(
    server: SandboxServer, tmp_path: Path
) -> None:
    path = tmp_path / "store.sqlite3"
    Store.open(path).close()
    box = server.state.create_mailbox()
    sample = server.state.add_sample(box.email, "plain")
    async with _service(server, Store.open(path, read_only=True)) as service:
        fetched = await service.fetch(box.email)
    assert [m.id for m in fetched.messages] == [sample.id]
    assert isinstance(fetched.store_error, StoreReadOnlyError)


async def _listed_sample(
    server: SandboxServer, service: MailService, kind: str
) -> tuple[SandboxMailbox, SandboxMessage]:
    """A new box on the server with one sample mail, fetched once through the service."""
    box = server.state.create_mailbox()
    message = server.state.add_sample(box.email, kind)
    await service.fetch(box.email)
    return box, message


# -- reading: filed under the box it was listed in --------------------------------------------


def _address_to(server: SandboxServer, message_id: str, to: str) -> None:
    """Make the server's copy of a message name another recipient, as a sender may write."""
    state = server.state
    with state._lock:
        box = state._mailboxes.message_box[message_id]
        box.messages[message_id] = dataclasses.replace(box.messages[message_id], to=to)


async def test_a_message_is_never_filed_under_the_to_its_sender_wrote(
    server: SandboxServer, setup: Setup
) -> None:
    service = setup.service
    mine = server.state.create_mailbox()
    other = server.state.create_mailbox()
    await service.fetch(mine.email)
    await service.fetch(other.email)
    message = server.state.add_sample(mine.email, "verification")
    # The sender claims it was for the other box this machine knows.
    _address_to(server, message.id, other.email)

    unlisted = await service.load_message(message.id)
    assert unlisted.mailbox is None and unlisted.message.id == message.id
    assert unlisted.notice is None and unlisted.server_error is None
    assert await service.messages(other.email) == []
    assert await service.messages(mine.email) == []

    await service.fetch(mine.email)
    listed = await service.load_message(message.id)
    assert listed.mailbox == mine.email and listed.message.is_seen
    assert [m.id for m in await service.messages(mine.email)] == [message.id]
    assert await service.messages(other.email) == []


async def test_a_stored_copy_is_used_without_a_request_or_when_the_server_lost_it(
    server: SandboxServer, setup: Setup
) -> None:
    service = setup.service
    box, message = await _listed_sample(server, service, "attachment")

    used = server.state.quota().used
    stored = await service.load_message(message.id, refresh=False)
    assert server.state.quota().used == used
    assert stored.mailbox == box.email and len(stored.message.attachments) == 2

    server.state.delete_message(server.api_key, message.id)
    lost = await service.load_message(message.id)
    assert isinstance(lost.server_error, NotFoundError) and lost.notice
    assert lost.message.id == message.id
    with pytest.raises(NotFoundError):
        await service.load_message("doesNotExist123")


async def test_opening_writes_the_message_again_only_when_the_server_changed_it(
    server: SandboxServer, setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    service, store = setup.service, setup.store
    box, message = await _listed_sample(server, service, "newsletter")
    written: list[str] = []
    upsert = store.upsert_message

    def counted(mailbox: str, msg: Message) -> None:
        written.append(msg.id)
        upsert(mailbox, msg)

    monkeypatch.setattr(store, "upsert_message", counted)
    same = await service.load_message(message.id)
    # Stored as the server has it: not extracted and indexed again, only marked seen.
    assert written == [] and same.message.is_seen and same.mailbox == box.email
    assert store.message(message.id).is_seen  # type: ignore[union-attr]

    state = server.state
    with state._lock:
        held = state._mailboxes.message_box[message.id]
        held.messages[message.id] = dataclasses.replace(
            held.messages[message.id], subject="Corrected subject"
        )
    changed = await service.load_message(message.id)
    assert written == [message.id] and changed.message.subject == "Corrected subject"
    assert store.message(message.id).subject == "Corrected subject"  # type: ignore[union-attr]


# -- deleting ---------------------------------------------------------------------------------


async def test_deleting_what_the_server_already_lost_says_so(
    server: SandboxServer, setup: Setup
) -> None:
    service = setup.service
    box, message = await _listed_sample(server, service, "plain")

    server.state.delete_message(server.api_key, message.id)
    assert await service.delete_message(message.id) is False
    assert await service.messages(box.email) == []
    with pytest.raises(NotFoundError):
        await service.delete_message(message.id)

    assert await service.delete_mailbox(box.email) is True
    assert await service.delete_mailbox(box.email) is False
    known = await service.mailbox(box.email)
    assert known is not None and known.state == "deleted"
    with pytest.raises(NotFoundError):
        await service.delete_mailbox("never-was@example.com")


# -- sessions from the settings ---------------------------------------------------------------


async def test_open_mail_works_from_the_settings_and_needs_a_key(
    server: SandboxServer, tmp_path: Path
) -> None:
    path = tmp_path / "store.sqlite3"
    config = Config(api_key=server.api_key, base_url=server.base_url)
    async with open_mail(config, store_path=path) as service:
        created = await service.create_mailbox()
    warnings: list[str] = []
    async with open_mail(config, store_path=path, warn=warnings.append) as service:
        assert [b.email for b in await service.mailboxes()] == [created.email]
    assert warnings == []

    # The boxes, with no key and no request.
    known = known_boxes(store_path=path, warn=warnings.append)
    assert [b.email for b in known.boxes] == [created.email]
    assert known.unread_of(created.email) == 0 and warnings == []

    with pytest.raises(NoApiKeyError, match="no API key"):
        async with open_mail(Config(api_key=None), store_path=path):
            pass


@contextlib.asynccontextmanager
async def _service(server: SandboxServer, store: Store) -> AsyncIterator[MailService]:
    renderer = HtmlRenderer()
    client = TempMailClient(server.api_key, base_url=server.base_url, retries=0)
    service = MailService(client, store, renderer)
    try:
        yield service
    finally:
        await service.aclose()
        store.close()
