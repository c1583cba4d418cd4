"""Mail the local store could not take (disk full, read-only), kept in memory per box."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import TypeVar

from tempmail_tui.api.listed import ListedMessage
from tempmail_tui.api.models import Message
from tempmail_tui.core.store import MessageSummary, StoredMessage, SyncResult

_Listed = TypeVar("_Listed", bound=MessageSummary)

log = logging.getLogger(__name__)


class HeldMail:
    """Listed mail the store could not take, shown from memory until a poll can store it."""

    def __init__(self) -> None:
        self._boxes: dict[str, dict[str, StoredMessage]] = {}

    def hold(
        self, email: str, listing: Iterable[ListedMessage], stored: list[MessageSummary]
    ) -> tuple[SyncResult, tuple[MessageSummary, ...]]:
        """Keep what the store lacks of a listing: what is new since the last hold, and the box.

        Only the bodies of the mail held are decoded.
        """
        known = {m.id for m in stored}
        before = self._boxes.get(email, {})
        now = datetime.now(UTC)
        held: dict[str, StoredMessage] = {}
        for msg in listing:
            if msg.id in known:
                continue
            old = before.get(msg.id)
            held[msg.id] = StoredMessage.from_message(
                msg.message(),
                email,
                fetched_at=old.fetched_at if old is not None else now,
                seen=msg.is_seen or (old is not None and old.is_seen),
            )
        self._boxes[email] = held
        new = tuple(mid for mid in held if mid not in before)
        return SyncResult(new=new), tuple(_merged(stored, held))

    def holds(self, email: str) -> bool:
        """Whether any mail of a box is held."""
        return bool(self._boxes.get(email))

    def announced(self, email: str, sync: SyncResult) -> SyncResult:
        """A sync less the held mail it brings: that was announced when it was held."""
        held = self._boxes.get(email)
        if not held:
            return sync
        again = tuple(mid for mid in sync.new if mid in held)
        return SyncResult(
            new=tuple(mid for mid in sync.new if mid not in held),
            changed=sync.changed + again,
            archived=sync.archived,
        )

    def release(self, email: str) -> None:
        """Let go of a box's held mail: it is stored now."""
        if self._boxes.pop(email, None):
            log.info("the mail of %s held in memory is stored now", email)

    def unread(self) -> dict[str, int]:
        """Unread held messages per box (boxes with none left out)."""
        counts: dict[str, int] = {}
        for email, held in self._boxes.items():
            extra = sum(1 for m in held.values() if not m.is_seen)
            if extra:
                counts[email] = extra
        return counts

    def merged(self, email: str, stored: list[_Listed]) -> list[_Listed | StoredMessage]:
        """A box's stored messages plus its held ones (with bodies), in the store's order."""
        held = self._boxes.get(email)
        return _merged(stored, held) if held else list(stored)

    def message(self, message_id: str) -> StoredMessage | None:
        """A message shown from memory (not stored yet), or None."""
        for held in self._boxes.values():
            if message_id in held:
                return held[message_id]
        return None

    def opened(
        self, message_id: str, fresh: Message | None, mailbox: str | None
    ) -> StoredMessage | None:
        """A message the store could not take, as read now (seen) or as last listed.

        ``mailbox`` is the box it was listed in; None leaves it unfiled (an empty mailbox).
        """
        held = self.message(message_id)
        if fresh is not None:
            now = datetime.now(UTC)
            opened = StoredMessage.from_message(fresh, mailbox or "", fetched_at=now, seen=True)
        elif held is not None:
            opened = replace(held, is_seen=True)
        else:
            return None
        box = self._boxes.get(opened.mailbox)
        if box is not None and message_id in box:
            box[message_id] = opened
        return opened

    def drop(self, email: str) -> None:
        """Let go of everything held for a box (forgotten here)."""
        self._boxes.pop(email, None)

    def forget(self, message_id: str) -> None:
        """Drop a held message (deleted)."""
        for held in self._boxes.values():
            held.pop(message_id, None)


def _merged(
    stored: list[_Listed], held: Mapping[str, StoredMessage]
) -> list[_Listed | StoredMessage]:
    """Stored messages plus held ones not stored, in the store's order (newest first, id)."""
    ids = {m.id for m in stored}
    extra = [m for m in held.values() if m.id not in ids]
    if not extra:
        return list(stored)
    return sorted([*stored, *extra], key=lambda m: (-m.received_at.timestamp(), m.id))
