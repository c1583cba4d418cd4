"""A well-formed ``GET /messages`` body, decoded straight from its bytes into messages.

A poll of a large box decodes megabytes of JSON every few seconds. ``json.loads`` builds a
dict per message and ``parse_message_list`` then checks each field in Python; for a body
that is exactly as documented, msgspec does both in one pass in C. Anything else (a null
where a string belongs, a lenient ``"1"`` for a boolean, a malformed message, bad JSON)
makes ``ListingDecoder.decode`` return None, and the careful path in ``parse.py`` reads the body:
so this path never reads anything differently, and refuses what that one refuses, but
for one thing: an integer of over 4,300 digits in a field neither reads, which Python's
``json`` refuses (a guard of its own against slow conversion) and msgspec skips.
"""

from __future__ import annotations

from collections import OrderedDict

import msgspec

from .errors import ProtocolError
from .models import Attachment, Message, MessageList
from .parse import INT_BOUND, MAX_ITEMS, received_at


class _Attachment(msgspec.Struct):
    name: str
    size: int
    url: str
    extension: str | None = None


class _Message(msgspec.Struct, rename={"from_name": "from", "received": "receivedAt"}):
    id: str
    received: str
    subject: str | None = None
    from_name: str | None = None
    from_email: str | None = None
    to: str | None = None
    content: str | None = None
    is_seen: bool | None = None
    html: bool | None = None
    attachments: list[_Attachment] | None = None


class _Listing(msgspec.Struct):
    status: bool
    messages: list[_Message]
    mailbox: str | None = None


_DECODER = msgspec.json.Decoder(_Listing)

#: Boxes whose last listing is remembered (see ``ListingDecoder``).
REMEMBERED_BOXES = 16


class ListingDecoder:
    """Decodes listings, handing back the very ``Message`` of a message listed unchanged.

    A quiet box lists the same mail every poll: reusing the last poll's record skips
    building it again, and lets what follows (fingerprints, the list) see it unchanged.
    """

    def __init__(self) -> None:
        self._last: OrderedDict[str, dict[str, tuple[_Message, Message]]] = OrderedDict()

    def decode(self, body: bytes | bytearray, box: str) -> MessageList | None:
        """The listing of ``box`` in ``body`` if it is exactly as documented, else None."""
        try:
            listing = _DECODER.decode(body)
        except (msgspec.DecodeError, RecursionError):
            return None
        if listing.status is not True or len(listing.messages) > MAX_ITEMS:
            return None
        key = box.casefold()
        last = self._last.pop(key, {})
        seen: dict[str, tuple[_Message, Message]] = {}
        messages: list[Message] = []
        try:
            for raw in listing.messages:
                hit = last.get(raw.id)
                message = hit[1] if hit is not None and hit[0] == raw else _message(raw)
                seen[raw.id] = (raw, message)
                messages.append(message)
        except (ProtocolError, _Unusual):
            return None
        self._last[key] = seen
        while len(self._last) > REMEMBERED_BOXES:
            self._last.popitem(last=False)
        return MessageList(mailbox=listing.mailbox or "", messages=tuple(messages), unreadable=())


class _Unusual(Exception):
    """A value the careful path reads with more care (it decides what it means)."""


def _message(raw: _Message) -> Message:
    """One message, converted as ``parse_message`` converts it."""
    attachments: tuple[Attachment, ...] = ()
    if raw.attachments is not None:
        if len(raw.attachments) > MAX_ITEMS:
            raise _Unusual
        attachments = tuple(_attachment(item) for item in raw.attachments)
    return Message(
        id=raw.id,
        subject=raw.subject or "",
        from_name=raw.from_name or "",
        from_email=raw.from_email or "",
        to=raw.to or "",
        received_at=received_at(raw.received),
        is_seen=bool(raw.is_seen),
        is_html=bool(raw.html),
        content=raw.content or "",
        attachments=attachments,
    )


def _attachment(raw: _Attachment) -> Attachment:
    """One attachment, converted as ``parse_attachment`` converts it."""
    if not 0 <= raw.size < INT_BOUND:
        raise _Unusual
    name = raw.name
    return Attachment(
        name=name,
        extension=raw.extension or name.rpartition(".")[2] * ("." in name),
        size=raw.size,
        url=raw.url,
    )
