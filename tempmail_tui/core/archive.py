"""Archived mailboxes: which boxes are archive, not traffic, and forgetting them locally."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tempmail_tui.core.store import Store, StoredMailbox
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


class Archive:
    """The archive use cases of a mail service: list archived boxes, forget them locally.

    Nothing here sends a request: an archived box is gone from the server.
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

    async def forget(self, emails: Sequence[str]) -> int:
        """Remove archived boxes and all their stored mail from this machine; messages removed."""
        removed = await self._db.run(forget_boxes, self._store, list(emails), self._clock())
        for email in emails:
            self._forgotten(email)
        return removed
