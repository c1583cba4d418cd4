"""A well-formed ``GET /messages`` body, decoded straight from its bytes into listed messages.

A poll of a large box decodes megabytes of JSON every few seconds. ``json.loads`` builds a
dict per message and ``parse_message_list`` then checks each field in Python; for a body
that is exactly as documented, msgspec does both in one pass in C, and leaves each message's
body undecoded: a view on the response (``listed.py``), checked to be a string (or null)
that decodes. Anything else (a null where a string belongs, a lenient ``"1"`` for a
boolean, a malformed message, bad JSON) makes ``ListingDecoder.decode`` return None, and
the careful path in ``parse.py`` reads the body: so this path never reads anything
differently, and refuses what that one refuses, but for one thing: an integer of over 4,300
digits in a field neither reads, which Python's ``json`` refuses (a guard of its own against
slow conversion) and msgspec skips.
"""

from __future__ import annotations

import codecs
from collections import OrderedDict
from datetime import datetime
from typing import Final

import msgspec

from .errors import ProtocolError
from .listed import ListedMessage, Listing
from .models import Attachment
from .parse import INT_BOUND, MAX_ITEMS, received_at

#: A body checked for UTF-8 is decoded this many bytes at a time (the text is dropped).
_UTF8_CHUNK: Final = 256 * 1024
#: A body that is JSON ``null``.
_NULL: Final = msgspec.Raw(b"null")
#: The first byte of a JSON string.
_QUOTE: Final = ord('"')


# gc=False: the decoded records hold only strings, numbers and lists of records, so no
# cycle; untracked, the 5,000 records of a big box's listing set off no collections.
class _Attachment(msgspec.Struct, gc=False):
    name: str
    size: int
    url: str
    extension: str | None = None


class _Message(msgspec.Struct, rename={"from_name": "from", "received": "receivedAt"}, gc=False):
    id: str
    received: str
    subject: str | None = None
    from_name: str | None = None
    from_email: str | None = None
    to: str | None = None
    # A view on the response, no copy: decoded only for the mail the store writes.
    content: msgspec.Raw = msgspec.Raw()
    is_seen: bool | None = None
    html: bool | None = None
    attachments: list[_Attachment] | None = None


class _Listing(msgspec.Struct, gc=False):
    status: bool
    messages: list[_Message]
    mailbox: str | None = None


_DECODER = msgspec.json.Decoder(_Listing)


#: Boxes whose last listing's arrival times are remembered (see ``ListingDecoder``).
REMEMBERED_BOXES = 16


class ListingDecoder:
    """Decodes listings; remembers only each box's arrival times between polls.

    Nothing else of a listing is kept: a 5,000-mail box lists ten megabytes of bodies every
    poll, and holding the last one would double what the process holds. The store tells
    mail listed unchanged by small keys of its own (``core/store/sync.py``). Reading the
    same 5,000 arrival times again was a third of building the messages.
    """

    def __init__(self) -> None:
        self._received: OrderedDict[str, dict[str, datetime]] = OrderedDict()

    def decode(self, body: bytes | bytearray, box: str) -> Listing | None:
        """The listing of ``box`` in ``body`` if it is exactly as documented, else None.

        Its messages' bodies stay views on ``body`` (see ``ListedMessage.content``).
        """
        try:
            listing = _DECODER.decode(body)
        except (msgspec.DecodeError, RecursionError):
            return None
        if listing.status is not True or len(listing.messages) > MAX_ITEMS:
            return None
        if not _utf8(body):
            # msgspec checks the escapes of a body it skips, not its bytes: as a string it
            # would have refused these (and so the careful path reads them, as before).
            return None
        key = box.casefold()
        last = self._received.pop(key, {})
        times: dict[str, datetime] = {}
        try:
            # A message shares its strings with the decoded record, its body with ``body``.
            messages = tuple(_message(raw, last, times) for raw in listing.messages)
        except (ProtocolError, _Unusual):
            return None
        self._received[key] = times
        while len(self._received) > REMEMBERED_BOXES:
            self._received.popitem(last=False)
        return Listing(mailbox=listing.mailbox or "", messages=messages, unreadable=())


class _Unusual(Exception):
    """A value the careful path reads with more care (it decides what it means)."""


def _utf8(body: bytes | bytearray) -> bool:
    """Whether ``body`` is strict UTF-8 (what msgspec and ``json`` require of a string)."""
    if body.isascii():
        return True
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    view = memoryview(body)
    try:
        for start in range(0, len(view), _UTF8_CHUNK):
            decoder.decode(view[start : start + _UTF8_CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    finally:
        view.release()
    return True


def _message(raw: _Message, last: dict[str, datetime], times: dict[str, datetime]) -> ListedMessage:
    """One message, converted as ``parse_message`` converts it (its body left as it came)."""
    content = raw.content
    # A string (its escapes checked by msgspec), null, or missing; the rest is unusual.
    if len(content) and content != _NULL and memoryview(content)[0] != _QUOTE:
        raise _Unusual
    attachments: tuple[Attachment, ...] = ()
    if raw.attachments:
        if len(raw.attachments) > MAX_ITEMS:
            raise _Unusual
        attachments = tuple(_attachment(item) for item in raw.attachments)
    # By position, in the order ``ListedMessage`` declares its fields: every poll of a big box
    # builds thousands, and keywords took twice as long (tests/test_api_listing.py holds
    # the result to the careful parser's, field by field).
    return ListedMessage(
        raw.id,
        raw.subject or "",
        raw.from_name or "",
        raw.from_email or "",
        raw.to or "",
        _arrival(raw.received, last, times),
        bool(raw.is_seen),
        bool(raw.html),
        attachments,
        content,
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


def _arrival(text: str, last: dict[str, datetime], times: dict[str, datetime]) -> datetime:
    """``received_at(text)``, read once per text in this listing and the box's last one."""
    moment = times.get(text) or last.get(text)
    if moment is None:
        moment = received_at(text)
    times[text] = moment
    return moment
