"""A poll decodes only the bodies the store writes, one at a time: never the stored mail's."""

from __future__ import annotations

import json
import tracemalloc
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from tempmail_tui.api.listed import ListedMessage
from tempmail_tui.api.listing import ListingDecoder
from tempmail_tui.core.mail import MailService
from tempmail_tui.sandbox.records import SandboxMailbox
from tempmail_tui.sandbox.server import SandboxServer

#: Mails in the box: enough that holding all their bodies differs plainly from one or two.
MAILS = 12


class _Text(str):
    """A decoded body that can be watched (a plain ``str`` takes no weak reference)."""


@dataclass
class Decodes:
    """Every body decoded while installed: whose, and the most alive at one time."""

    ids: list[str] = field(default_factory=list)
    most_alive: int = 0
    _alive: weakref.WeakSet[_Text] = field(default_factory=weakref.WeakSet)

    def watch(self, content: Callable[[ListedMessage], str]) -> Callable[[ListedMessage], str]:
        """``ListedMessage.content`` that records each body it decodes."""

        def decode(listed: ListedMessage) -> str:
            text = _Text(content(listed))
            self.ids.append(listed.id)
            self._alive.add(text)
            self.most_alive = max(self.most_alive, len(self._alive))
            return text

        return decode

    def reset(self) -> None:
        """Forget the decodes so far (the bodies still alive count on)."""
        self.ids.clear()
        self.most_alive = len(self._alive)


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> Iterator[Decodes]:
    """Watch the one place a listed body becomes text."""
    seen = Decodes()
    monkeypatch.setattr(ListedMessage, "content", seen.watch(ListedMessage.content))
    yield seen


def _body(n: int) -> str:
    return f"<p>Notice {n}</p>" + "<p>Your weekly account update, all of it.</p>" * 40


async def _filled_box(server: SandboxServer, service: MailService) -> SandboxMailbox:
    """A box the reader knows, with MAILS newsletters waiting on the server."""
    box = server.state.create_mailbox()
    await service.add_address(box.email)
    for n in range(MAILS):
        server.state.deliver(box.email, subject=f"Notice {n}", html=_body(n))
    return box


async def test_a_repoll_decodes_only_the_new_mail(
    server: SandboxServer, service: MailService, decodes: Decodes
) -> None:
    box = await _filled_box(server, service)
    first = await service.poll(box.email)
    assert await service.stored(first) is None
    # The first fill decodes each body as it fingerprints, indexes and writes it.
    assert len(set(decodes.ids)) == MAILS

    decodes.reset()
    quiet = await service.poll(box.email)
    assert await service.stored(quiet) is None
    assert decodes.ids == [], "a quiet re-poll decoded stored bodies"

    news = server.state.deliver(box.email, subject="Notice new", html=_body(99))
    again = await service.poll(box.email)
    assert await service.stored(again) is None
    assert again.sync.new == (news.id,)
    assert set(decodes.ids) == {news.id}, "a re-poll decoded the bodies of stored mail"
    # And what it wrote reads back whole.
    stored = await service.messages(box.email)
    assert next(m for m in stored if m.id == news.id).content == _body(99)


async def test_a_first_fill_never_holds_every_body_at_once(
    server: SandboxServer, service: MailService, decodes: Decodes
) -> None:
    box = await _filled_box(server, service)
    result = await service.poll(box.email)
    assert await service.stored(result) is None
    assert len(set(decodes.ids)) == MAILS
    assert decodes.most_alive <= 2, f"{decodes.most_alive} decoded bodies alive at once"
    stored = await service.messages(box.email)
    assert sorted(m.content for m in stored) == sorted(_body(n) for n in range(MAILS))


def test_decoding_a_listing_copies_no_body() -> None:
    bodies = [f"mail {n} " + "lorem ipsum dolor " * 6_000 for n in range(20)]
    messages = [
        {"id": f"m{n}", "receivedAt": "2026-06-28 10:57:25", "content": text, "html": False}
        for n, text in enumerate(bodies)
    ]
    raw = bytearray(json.dumps({"status": True, "messages": messages}).encode())
    decoder = ListingDecoder()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        listing = decoder.decode(raw, "box@example.com")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert listing is not None
    # The response and every body's text were alive together: 2 MB on top of 2 MB.
    assert peak - before < len(raw) // 10, f"decoding took {peak - before:,} bytes"
    assert [m.content() for m in listing.messages] == bodies


async def test_mail_stored_from_whole_messages_is_known_to_a_poll_without_a_rewrite(
    server: SandboxServer, service: MailService, decodes: Decodes
) -> None:
    box = await _filled_box(server, service)
    # Written from decoded messages, as the command line (and every earlier version) writes.
    whole = await service.client.list_messages(box.email)
    service.store.sync_messages(box.email, whole.messages)
    before = {m.id: m.fetched_at for m in service.store.messages(box.email)}
    del whole
    decodes.reset()

    result = await service.poll(box.email)
    assert await service.stored(result) is None
    assert not result.sync.new and not result.sync.changed
    assert {m.id: m.fetched_at for m in service.store.messages(box.email)} == before
    # A new session checks each stored body once against its fingerprint, one at a time.
    assert sorted(decodes.ids) == sorted(before) and decodes.most_alive <= 1
