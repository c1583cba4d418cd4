"""The list the reader shows holds no bodies: they stay in the store until a message is opened."""

from __future__ import annotations

import gc
import tracemalloc

from tempmail_tui.core.mail import MailService
from tempmail_tui.core.store import MessageSummary, StoredMessage
from tempmail_tui.sandbox.server import SandboxServer

#: Each mail's body: large enough that holding even one would show in the traced memory.
BODY_CHARS = 400_000


def _body(n: int) -> str:
    """A long plain body whose words are its own."""
    return f"parcel{n} " + ("lorem ipsum dolor " * (BODY_CHARS // 18)) + f" tail{n}"


async def test_the_list_holds_no_bodies_and_opening_reads_the_body_from_the_store(
    server: SandboxServer, service: MailService
) -> None:
    box = server.state.create_mailbox()
    await service.add_address(box.email)
    for n in range(4):
        server.state.deliver(box.email, subject=f"Parcel {n}", text=_body(n))
    code = server.state.add_sample(box.email, "verification")

    tracemalloc.start()
    try:
        result = await service.poll(box.email)
        assert await service.stored(result) is None
        listed = await service.summaries(box.email)
        gc.collect()
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # What a poll and the list keep is headers and row states: not one body of 400 KB.
    assert held < BODY_CHARS, f"{held:,} bytes held after the poll"
    assert result.messages is not None and len(result.messages) == 5
    for message in (*result.messages, *listed):
        assert type(message) is MessageSummary and not hasattr(message, "content")
    assert [m.id for m in listed] == [m.id for m in result.messages]

    # Opening one reads its body from the store: no request, the body whole.
    used = server.state.quota().used
    parcel = next(m for m in listed if m.subject == "Parcel 2")
    loaded = await service.load_message(parcel.id, refresh=False)
    assert server.state.quota().used == used
    assert isinstance(loaded.message, StoredMessage) and loaded.message.content == _body(2)
    # Opened for reading (the server asked too), the reader's aids come with the body.
    opened = await service.open_message(code.id)
    assert opened.aids.code is not None and opened.aids.code in opened.message.content
    # The list filter reads the bodies through the core as well.
    texts = await service.filter_texts(listed)
    assert "tail3" in texts[next(m.id for m in listed if m.subject == "Parcel 3")]
