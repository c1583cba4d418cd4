"""What the store remembers of each box between calls, so a quiet poll costs little."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Final

from tempmail_tui.api.listed import ListedMessage
from tempmail_tui.core.store.records import MessageSummary
from tempmail_tui.core.store.sync import ListingKey, RowStamp, listing_fingerprints

#: Mailboxes whose last listing is kept in memory to skip re-hashing unchanged messages.
LISTING_CACHE_BOXES: Final = 128

#: Mailboxes whose last read is kept to speed up the next one (see ``Store.summaries``).
READ_CACHE_BOXES: Final = 2

#: A box's rows as read: each message with the row state it was read at.
BoxRows = dict[str, tuple[RowStamp, MessageSummary]]


class ListingMemory:
    """The last listing synced per mailbox, with fingerprints; safe across threads.

    Most recently synced last, and bounded: mailboxes come and go over a long session.
    """

    def __init__(self, boxes: int = LISTING_CACHE_BOXES) -> None:
        self._boxes = boxes
        self._lock = threading.Lock()
        self._listings: OrderedDict[str, dict[str, tuple[ListingKey, str]]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._listings)

    def fingerprints(
        self,
        mailbox: str,
        incoming: dict[str, ListedMessage],
        keyed: dict[str, tuple[ListingKey, str]] | None = None,
    ) -> tuple[dict[str, str], dict[str, tuple[ListingKey, str]]]:
        """Fingerprints of a listing, reusing the last listing's for unchanged messages.

        ``keyed`` holds messages of this same listing keyed already (by its plan): their
        keys are not worked out again. Also returns the listing as remembered.
        """
        key = mailbox.casefold()
        with self._lock:
            last = self._listings.get(key, {})
        prints, listing = listing_fingerprints(last, incoming, keyed or {})
        with self._lock:
            self._listings[key] = listing
            self._listings.move_to_end(key)
            while len(self._listings) > self._boxes:
                self._listings.popitem(last=False)
        return prints, listing

    def forget(self, mailbox: str) -> None:
        """Drop what is remembered of one box (it was renamed or deleted)."""
        with self._lock:
            self._listings.pop(mailbox.casefold(), None)

    def clear(self) -> None:
        """Drop every box's listing (another process changed the mail)."""
        with self._lock:
            self._listings.clear()


class ReadMemory:
    """Each box's rows as last read (or planned), for the next read to reuse; a few boxes.

    Used only inside the store's transactions, which its lock already serialises.
    """

    def __init__(self, boxes: int = READ_CACHE_BOXES) -> None:
        self._boxes = boxes
        self._rows: OrderedDict[str, BoxRows] = OrderedDict()

    def get(self, key: str) -> BoxRows | None:
        """The rows kept for a box (by its case-folded address), or None."""
        return self._rows.get(key)

    def keep(self, key: str, entries: BoxRows) -> None:
        """Keep a box's rows as last read (or planned), the oldest box dropped past the bound."""
        self._rows[key] = entries
        self._rows.move_to_end(key)
        while len(self._rows) > self._boxes:
            self._rows.popitem(last=False)

    def forget(self, key: str) -> None:
        """Drop one box's rows."""
        self._rows.pop(key, None)

    def clear(self) -> None:
        """Drop every box's rows."""
        self._rows.clear()
