"""Records the sandbox keeps: domains, accounts, mailboxes, messages and mail drafts."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass, field
from datetime import datetime

PLANS = ("free", "premium")


@dataclass(frozen=True, slots=True)
class SandboxDomain:
    """A domain mailboxes can live on; ``type`` is capitalised as the API does."""

    domain: str
    type: str
    custom: bool = False


DOMAINS: tuple[SandboxDomain, ...] = (
    SandboxDomain("inbox.test", "Free"),
    SandboxDomain("tempbox.test", "Free"),
    SandboxDomain("mailsink.test", "Free", custom=True),
    SandboxDomain("vip.test", "Premium"),
)


@dataclass(slots=True)
class Account:
    """An API key's account: its plan and its monthly request quota."""

    key: str = field(repr=False)
    plan: str = "free"
    quota_limit: int = 50_000
    quota_used: int = 0
    #: When ``quota_used`` goes back to zero (first day of next month by default).
    quota_reset: datetime | None = None

    @property
    def quota_remaining(self) -> int:
        """Requests left this period."""
        return max(0, self.quota_limit - self.quota_used)


@dataclass(frozen=True, slots=True)
class SandboxAttachment:
    """A file attached to a message, with its exact bytes."""

    name: str
    data: bytes = field(repr=False)
    content_type: str = "application/octet-stream"

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self.data)

    @property
    def extension(self) -> str:
        """What follows the last dot of the name, lower case ("" if none)."""
        stem, dot, ext = self.name.rpartition(".")
        return ext.lower() if dot and stem else ""

    @classmethod
    def from_bytes(cls, name: str, data: bytes) -> SandboxAttachment:
        """An attachment whose content type is guessed from its name."""
        guessed, _ = mimetypes.guess_type(name, strict=False)
        return cls(name=name, data=data, content_type=guessed or "application/octet-stream")


@dataclass(frozen=True, slots=True)
class MailDraft:
    """A mail before delivery: what a sender wrote, in the API's terms."""

    subject: str
    from_name: str
    from_email: str
    content: str
    html: bool
    attachments: tuple[SandboxAttachment, ...] = ()


@dataclass(frozen=True, slots=True)
class SandboxMessage:
    """A delivered message as stored in a mailbox."""

    id: str
    to: str
    subject: str
    from_name: str
    from_email: str
    received_at: datetime
    html: bool
    content: str = field(repr=False)
    attachments: tuple[SandboxAttachment, ...] = ()
    is_seen: bool = False
    #: The verification code of a ``verification`` sample (None otherwise).
    code: str | None = None


@dataclass(frozen=True, slots=True)
class SandboxMailbox:
    """A mailbox as the API describes it, plus the key that owns it."""

    id: int
    email: str
    domain: str
    created_at: datetime
    expire_at: datetime
    email_token: str = field(repr=False)
    owner_key: str = field(repr=False)
