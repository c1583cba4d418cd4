"""Typed records for what the Temp Mail API returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass(frozen=True, slots=True)
class Domain:
    """A domain the account may create mailboxes on."""

    domain: str
    type: str
    custom: bool = False

    @property
    def is_free(self) -> bool:
        """Whether this is a free domain (the API capitalises the type)."""
        return self.type.casefold() == "free"


@dataclass(frozen=True, slots=True)
class DomainList:
    """The answer of ``GET /domains``: the domains and which types the key may ask for."""

    requested_type: str
    allowed_types: tuple[str, ...]
    domains: tuple[Domain, ...]


@dataclass(frozen=True, slots=True)
class Mailbox:
    """A mailbox owned by the account."""

    id: int
    email: str
    domain: str
    created_at: datetime
    expire_at: datetime
    expires_in_seconds: int
    # Opaque and secret-ish: kept with the mailbox, never displayed.
    email_token: str = field(default="", repr=False)

    @property
    def username(self) -> str:
        """The part of the address before the ``@``."""
        return self.email.rpartition("@")[0]

    def seconds_left(self, now: datetime | None = None) -> float:
        """Seconds until the mailbox expires (negative once expired)."""
        now = now or datetime.now(UTC)
        return (self.expire_at - now).total_seconds()

    def is_expired(self, now: datetime | None = None) -> bool:
        """Whether the mailbox has passed its expiry time."""
        return self.seconds_left(now) <= 0


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file attached to a message."""

    name: str
    extension: str
    size: int
    url: str


def display_sender(from_name: str, from_email: str) -> str:
    """The display form of a sender: name and address, or whichever is known."""
    if from_name and from_email and from_name != from_email:
        return f"{from_name} <{from_email}>"
    return from_name or from_email


@dataclass(frozen=True, slots=True)
class Message:
    """One mail in a mailbox, as the API returns it (content included)."""

    id: str
    subject: str
    from_name: str
    from_email: str
    to: str
    received_at: datetime
    is_seen: bool
    is_html: bool
    content: str
    attachments: tuple[Attachment, ...] = ()

    @property
    def sender(self) -> str:
        """The display form of the sender: name and address."""
        return display_sender(self.from_name, self.from_email)


@dataclass(frozen=True, slots=True)
class UnreadableMessage:
    """A message of a listing that could not be read: its place, its id if readable, and why."""

    #: Its position in the server's list, from 0.
    index: int
    #: Its id as the server wrote it (uncleaned), when the id itself could be read.
    id: str | None
    #: What is wrong, naming only fields this client knows (never a value the server sent).
    reason: str

    @property
    def label(self) -> str:
        """Its id, else its place in the list from 1 (``#3``); server text: clean it to show."""
        return self.id if self.id is not None else f"#{self.index + 1}"


@dataclass(frozen=True, slots=True)
class MessageList:
    """The answer of ``GET /messages``: the mailbox, its messages and those that were unreadable."""

    mailbox: str
    messages: tuple[Message, ...]
    # One malformed message must not hide the others: it is named here instead.
    unreadable: tuple[UnreadableMessage, ...] = ()


@dataclass(frozen=True, slots=True)
class Quota:
    """The account's request quota from the ``X-RateLimit-*`` headers, and when it was seen."""

    limit: int
    used: int
    remaining: int
    reset_at: datetime | None
    seen_at: datetime

    @property
    def fraction_used(self) -> float:
        """Used over limit, between 0 and 1."""
        if self.limit <= 0:
            return 1.0
        return min(1.0, max(0.0, self.used / self.limit))

    def age(self, now: datetime | None = None) -> float:
        """Seconds since these figures were seen."""
        now = now or datetime.now(UTC)
        return max(0.0, (now - self.seen_at).total_seconds())
