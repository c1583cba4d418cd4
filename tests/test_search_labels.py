"""The one archive search (the reader's `f`, the `search` command) with ``label:`` terms."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
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


@pytest.fixture
async def service(server: SandboxServer, tmp_path: Path) -> AsyncIterator[MailService]:
    store = Store.open(tmp_path / "store.sqlite3")
    client = TempMailClient(server.api_key, base_url=server.base_url, retries=0)
    mail = MailService(client, store, HtmlRenderer())
    try:
        yield mail
    finally:
        await mail.aclose()
        store.close()


async def test_the_readers_search_narrows_to_labelled_boxes(
    server: SandboxServer, service: MailService
) -> None:
    shop = (await service.create_mailbox(["Shop", "CI run"])).email
    plain = (await service.create_mailbox()).email
    for address in (shop, plain):
        server.state.add_sample(address, "verification")
        server.state.add_sample(address, "plain")
        await service.fetch(address)

    everywhere = await service.search("verification")
    assert {m.mailbox for m in everywhere} == {shop, plain}
    # As the reader sends it: the last word made a prefix (a label is matched whole).
    narrowed = await service.search("label:shop verif*")
    assert [m.mailbox for m in narrowed] == [shop]
    assert [m.mailbox for m in await service.search("verification label:shop*")] == [shop]
    both = await service.search('label:shop label:"ci run"')
    assert len(both) == 2 and {m.mailbox for m in both} == {shop}
    # The reader's prefix star after a quoted label is part of the label term, not a word.
    assert len(await service.search('label:"ci run"*')) == 2
    assert len(await service.search('verification label:"ci run"*')) == 1
    assert await service.search("label:nobody") == []
    assert await service.search("verification label:shop label:other") == []
