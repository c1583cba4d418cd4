"""The one archive search (the reader's `f`, the `search` command) with ``label:`` terms."""

from __future__ import annotations

from tempmail_tui.core.mail import MailService
from tempmail_tui.sandbox.server import SandboxServer


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
