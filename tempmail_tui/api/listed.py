"""A listing as a poll reads it: each body kept as the server sent it until it is asked for.

A poll of a 5,000-mail box receives ten megabytes of bodies, and all but the newest are
stored already. Decoding every body into a string held the response and the text of every
body at once; here a body stays a view on the response (``msgspec.Raw``) and becomes text
only for the mail the store writes, one message at a time. The careful parser's messages
are wrapped as they are (their bodies are text already).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import msgspec

from .models import Attachment, Message, MessageList, UnreadableMessage

#: A listed body: text, or the JSON string (or ``null``, or nothing: the field was missing)
#: as the server sent it, already checked to decode (see ``listing.py``).
Body = str | msgspec.Raw

#: What a body is recognised by between polls (see ``ListedMessage.body_key``).
BodyKey = tuple[str, int, int]

_TEXT = msgspec.json.Decoder(str | None)


# Not frozen: every poll of a big box makes one per message, and a frozen dataclass's
# __init__ (one object.__setattr__ per field) made 5,000 of them in 12 ms instead of 1.
# Nothing changes one after it is made.
@dataclass(slots=True)
class ListedMessage:
    """One message of a listing: what a list shows, and its body as the listing holds it."""

    id: str
    subject: str
    from_name: str
    from_email: str
    to: str
    received_at: datetime
    is_seen: bool
    is_html: bool
    attachments: tuple[Attachment, ...]
    body: Body = field(repr=False)

    @classmethod
    def of(cls, message: Message) -> ListedMessage:
        """A whole message as a listed one (its body is text already)."""
        return cls(
            message.id,
            message.subject,
            message.from_name,
            message.from_email,
            message.to,
            message.received_at,
            message.is_seen,
            message.is_html,
            message.attachments,
            message.content,
        )

    def content(self) -> str:
        """The body as text; decoded anew on each call from a listing's bytes."""
        body = self.body
        if isinstance(body, str):
            return body
        # Empty: the field was missing; ``null`` decodes to None. Both read as "".
        return (_TEXT.decode(body) if len(body) else None) or ""

    def body_key(self) -> BodyKey:
        """A small stand-in for the body, without decoding it: the same key, the same text.

        Text and JSON are told apart (the JSON of one text can be another text), and the same
        text sent with other escapes only gets a new key, never a wrong one.
        """
        body = self.body
        if isinstance(body, str):
            return ("text", len(body), hash(body))
        # A Raw is not hashable: its bytes are copied, one body at a time.
        return ("json", len(body), hash(bytes(body)))

    def message(self) -> Message:
        """The whole message, its body decoded."""
        return Message(
            self.id,
            self.subject,
            self.from_name,
            self.from_email,
            self.to,
            self.received_at,
            self.is_seen,
            self.is_html,
            self.content(),
            self.attachments,
        )


@dataclass(frozen=True, slots=True)
class Listing:
    """The answer of ``GET /messages`` with its bodies not yet decoded (``MessageList``'s twin)."""

    mailbox: str
    messages: tuple[ListedMessage, ...]
    unreadable: tuple[UnreadableMessage, ...] = ()

    @classmethod
    def of(cls, listing: MessageList) -> Listing:
        """A listing of whole messages (the careful parser's) as a listing of listed ones."""
        return cls(
            listing.mailbox,
            tuple(ListedMessage.of(m) for m in listing.messages),
            listing.unreadable,
        )

    def decoded(self) -> MessageList:
        """The listing with every body decoded."""
        return MessageList(self.mailbox, tuple(m.message() for m in self.messages), self.unreadable)
