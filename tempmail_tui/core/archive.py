"""The local archive: archived boxes and forgetting them, labels, search and stored mail."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tempmail_tui.core.labels import clean_labels
from tempmail_tui.core.search import search_archive
from tempmail_tui.core.store import SearchHit, Store, StoredMailbox, StoredMessage
from tempmail_tui.core.store_thread import StoreThread
from tempmail_tui.errors import LocalError


class UnknownMailboxError(LocalError):
    """The address is not a mailbox this machine knows."""

    def __init__(self, email: str) -> None:
        super().__init__(f"{email} is not a mailbox this machine knows")
        self.email = email


class StillLiveError(LocalError):
    """The mailbox may still be live on the server, so its mail is not archive yet."""

    def __init__(self, email: str) -> None:
        super().__init__(f"{email} is still live: delete it on the server first, then forget it")
        self.email = email


def is_archived(box: StoredMailbox, now: datetime | None = None) -> bool:
    """Whether a box is gone from the server (deleted, renamed, or past its known expiry)."""
    return not box.is_live or box.is_expired(now or datetime.now(UTC))


@dataclass(frozen=True, slots=True)
class ArchivedBox:
    """An archived mailbox and how many messages this machine keeps of it."""

    email: str
    # "expired", "deleted" or "renamed": what happened to it on the server.
    state: str
    messages: int


def _archived(store: Store, box: StoredMailbox) -> ArchivedBox:
    """The archive entry of a box known to be archived (store thread)."""
    state = box.state if box.state != "live" else "expired"
    return ArchivedBox(box.email, state, store.message_count(box.email))


def archived_box(store: Store, email: str, now: datetime) -> ArchivedBox:
    """One archived box by address (store thread); refuses an unknown or live one."""
    box = store.mailbox(email)
    if box is None:
        raise UnknownMailboxError(email)
    if not is_archived(box, now):
        raise StillLiveError(box.email)
    return _archived(store, box)


def archived_boxes(store: Store, now: datetime) -> list[ArchivedBox]:
    """Every archived box this machine keeps, newest first (store thread)."""
    return [_archived(store, b) for b in store.mailboxes() if is_archived(b, now)]


def forget_boxes(store: Store, emails: Sequence[str], now: datetime) -> int:
    """Remove archived boxes and their mail (store thread); the count of messages removed.

    Each box is checked again first: another process may have made it live meanwhile.
    """
    boxes = [archived_box(store, email, now) for email in emails]
    for box in boxes:
        store.delete_mailbox_local(box.email)
    return sum(box.messages for box in boxes)


def _set_labels(store: Store, email: str, labels: tuple[str, ...]) -> StoredMailbox:
    """Replace a known box's labels (store thread), found ignoring case; StoreError if unknown."""
    box = store.mailbox(email)
    return store.set_labels(box.email if box is not None else email, labels)


class Archive:
    """The use cases of the local store alone: archived boxes, labels, search, stored mail.

    Nothing here sends a request, so none of it needs an API key (``session.open_archive``).
    """

    def __init__(
        self,
        store: Store,
        db: StoreThread,
        *,
        forgotten: Callable[[str], None],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._db = db
        # Called with each address removed, so the service drops what it holds of it.
        self._forgotten = forgotten
        self._clock = clock

    async def box(self, email: str) -> ArchivedBox:
        """One archived box with its stored message count; refuses an unknown or live box."""
        return await self._db.run(archived_box, self._store, email, self._clock())

    async def boxes(self) -> list[ArchivedBox]:
        """Every archived box with its stored message count, newest first."""
        return await self._db.run(archived_boxes, self._store, self._clock())

    async def mailbox(self, email: str) -> StoredMailbox | None:
        """One known box by address (case-insensitive), live or archived, or None."""
        return await self._db.run(self._store.mailbox, email)

    async def mailboxes(self) -> list[StoredMailbox]:
        """Every known box, newest first."""
        return await self._db.run(self._store.mailboxes)

    async def messages(self, email: str) -> list[StoredMessage]:
        """The stored messages of a box, newest first."""
        return await self._db.run(self._store.messages, email)

    async def message(self, message_id: str) -> StoredMessage | None:
        """One stored message by id, or None."""
        return await self._db.run(self._store.message, message_id)

    async def set_labels(self, email: str, labels: Sequence[str]) -> StoredMailbox:
        """Replace a known box's labels; ``LabelError`` for a bad one, no change then."""
        return await self._db.run(_set_labels, self._store, email, clean_labels(labels))

    async def search(self, query: str, *, limit: int = 200, offset: int = 0) -> list[SearchHit]:
        """Stored mail of every box matching the query (see ``core.search``), best first."""
        return await self._db.run(search_archive, self._store, query, limit, offset)

    async def forget(self, emails: Sequence[str]) -> int:
        """Remove archived boxes and all their stored mail from this machine; messages removed."""
        removed = await self._db.run(forget_boxes, self._store, list(emails), self._clock())
        for email in emails:
            self._forgotten(email)
        return removed
