"""What the Python API hands back: messages and their attachments, read through the core."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path

from tempmail_tui.api.models import Message as ApiMessage
from tempmail_tui.core.render import HtmlRenderer
from tempmail_tui.core.sanitize import clean_line
from tempmail_tui.core.waiting import code_of, link_of

# Stateless and thread-safe: one renderer serves every message's ``text``.
_RENDERER = HtmlRenderer()


@dataclass(frozen=True, eq=False)
class MailRecord:
    """One message of a box: headers cleaned for printing, body, code and link read on demand."""

    #: The box the message is filed under.
    mailbox: str
    _source: ApiMessage = field(repr=False)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, subject={self.subject!r})"

    @property
    def id(self) -> str:
        """The server's id of the message."""
        return self._source.id

    @property
    def subject(self) -> str:
        """The subject, cleaned of controls and escape sequences."""
        return clean_line(self._source.subject, max_chars=None)

    @property
    def sender(self) -> str:
        """The sender as a reader shows it (``Name <address>``), cleaned."""
        return clean_line(self._source.sender, max_chars=None)

    @property
    def sender_address(self) -> str:
        """The sender's address alone, cleaned."""
        return clean_line(self._source.from_email, max_chars=None)

    @property
    def to(self) -> str:
        """The recipient the sender wrote, cleaned."""
        return clean_line(self._source.to, max_chars=None)

    @property
    def received_at(self) -> datetime:
        """When the server received the message (aware, UTC)."""
        return self._source.received_at

    @property
    def html(self) -> str | None:
        """The HTML body as sent (untrusted: never show it unsandboxed), or None for plain text."""
        return self._source.content if self._source.is_html else None

    @property
    def raw_text(self) -> str | None:
        """The plain-text body as sent, or None for an HTML message."""
        return None if self._source.is_html else self._source.content

    @cached_property
    def text(self) -> str:
        """The body as the reader shows it: clean text, HTML laid out, its links numbered."""
        return _RENDERER.render(self._source.content, is_html=self._source.is_html).text

    @cached_property
    def code(self) -> str | None:
        """The verification code in the message (as ``tempmail-tui code`` finds it), or None."""
        return code_of(self._source)

    @cached_property
    def link(self) -> str | None:
        """The main action link (verify, confirm, sign in ...) as ``tempmail-tui link`` finds it."""
        return link_of(self._source)


@dataclass(frozen=True, eq=False)
class AttachmentInfo:
    """A file attached to a message: its name as sent (untrusted) and size in bytes."""

    name: str
    size: int
    extension: str


@dataclass(frozen=True, eq=False)
class Attachment(AttachmentInfo):
    """An attachment of a message from ``TempMail``; ``save`` downloads it."""

    _save: Callable[[Path], Path] = field(repr=False)

    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Download into ``directory`` under a safe, free name (never overwriting); the path."""
        return self._save(Path(directory))


@dataclass(frozen=True, eq=False)
class AsyncAttachment(AttachmentInfo):
    """An attachment of a message from ``AsyncTempMail``; ``await save(dir)`` downloads it."""

    _save: Callable[[Path], Awaitable[Path]] = field(repr=False)

    async def save(self, directory: str | os.PathLike[str]) -> Path:
        """Download into ``directory`` under a safe, free name (never overwriting); the path."""
        return await self._save(Path(directory))


@dataclass(frozen=True, eq=False, repr=False)
class Message(MailRecord):
    """A message from ``TempMail``, with attachments saved by ``save``."""

    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, eq=False, repr=False)
class AsyncMessage(MailRecord):
    """A message from ``AsyncTempMail``, with attachments saved by ``await save``."""

    attachments: tuple[AsyncAttachment, ...] = ()
