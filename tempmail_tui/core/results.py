"""What the mail use cases return: a poll's result, a listing, a loaded or opened message."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncio

    from tempmail_tui.api.errors import ApiError
    from tempmail_tui.api.models import Message, UnreadableMessage
    from tempmail_tui.core.reading import ReadingAids
    from tempmail_tui.core.render import Rendered
    from tempmail_tui.core.store import MessageSummary, StoredMessage, StoreError, SyncResult


@dataclass(frozen=True, slots=True)
class PollResult:
    """What one poll of a mailbox found."""

    email: str
    sync: SyncResult
    # The box as a list shows it (no bodies: open one to read it); None when nothing
    # changed, so the UI has nothing to rebuild.
    messages: tuple[MessageSummary, ...] | None
    # The first fill of a box the store knew nothing of: its mail is not "new".
    initial: bool
    # Messages the server listed that could not be read (the others are in ``messages``).
    unreadable: tuple[UnreadableMessage, ...] = ()
    # Why the local store could not take this poll's mail (disk full, read-only): the
    # mail is then in ``messages`` from memory until a later poll can store it.
    store_error: StoreError | None = None
    # The write of this poll's mail, still running when the result is shown: it ends with
    # None once stored, or the StoreError that left the mail held in memory (see
    # ``MailService.stored``). None when nothing is being written (``store_error`` says why).
    storing: asyncio.Future[StoreError | None] | None = field(default=None, compare=False)

    @property
    def changed(self) -> bool:
        """Whether anything in the mailbox changed."""
        return self.messages is not None


@dataclass(frozen=True, slots=True)
class Fetched:
    """A box's mail as the server listed it just now (newest first), and what went wrong."""

    # The box that was asked for, spelt as the store knows it.
    mailbox: str
    messages: tuple[Message, ...]
    # Messages the server listed that could not be read (the others are in ``messages``).
    unreadable: tuple[UnreadableMessage, ...] = ()
    # Why the mail was not kept here (read-only or full store); it is still in ``messages``.
    store_error: StoreError | None = None
    # The box is gone on the server: ``messages`` are the copies stored here.
    gone: bool = False


@dataclass(frozen=True, slots=True)
class LoadedMessage:
    """A message read from the server (stored and marked seen), else the copy kept here."""

    message: StoredMessage
    # The box it is filed under; None when it was never listed here (then it is not kept).
    mailbox: str | None
    # Set when the server could not be asked and the stored copy is shown.
    notice: str | None = None
    # Why the server's copy could not be read (None: it was, or it was not asked).
    server_error: ApiError | None = None


@dataclass(frozen=True, slots=True)
class OpenedMessage:
    """A message opened for reading, with its converted body, code and links."""

    message: StoredMessage
    rendered: Rendered
    aids: ReadingAids
    # Set when the server could not be asked and the stored copy is shown.
    notice: str | None = None
