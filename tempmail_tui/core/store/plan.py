"""A sync worked out before it is written: what a listing changes, and the box as it will read.

The reader shows a poll's mail before it is stored: the plan is one indexed read of the
box's row state, so the slow part of a sync (extracting the text to index, writing rows)
can follow on the store thread after the screen has the mail.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, replace

from tempmail_tui.api.models import Message
from tempmail_tui.core.store.records import (
    MESSAGE_COLUMNS,
    StoredMessage,
    SyncResult,
    from_db,
    message_from_row,
)
from tempmail_tui.core.store.sync import READ_BATCH

#: A stored row's state as a plan needs it: fingerprint, is_seen, archived, fetched_at.
Stamp = tuple[str, int, int, str]


@dataclass(frozen=True, slots=True)
class SyncPlan:
    """A listing compared with the stored box, not written yet (see ``Store.apply_sync``)."""

    mailbox: str
    # The listing by id (a repeated id: the last copy wins) and each message's fingerprint.
    incoming: dict[str, Message]
    prints: dict[str, str]
    # The stored rows of the box when the plan was made.
    stamps: dict[str, Stamp]
    # What the write will change, as far as the stored rows of the plan say.
    result: SyncResult
    # The fetch time written for new and changed rows (``to_db`` form).
    now: str
    # The box as the store will read it once the plan is written (None when not asked for).
    view: tuple[StoredMessage, ...] | None

    @property
    def had_rows(self) -> bool:
        """Whether the store held any mail of the box before this listing."""
        return bool(self.stamps)

    def rewrites(self) -> list[str]:
        """Ids whose row is written in full: new, or changed since they were stored."""
        return [
            mid
            for mid in self.incoming
            if (old := self.stamps.get(mid)) is None or old[0] != self.prints[mid]
        ]


def read_stamps(conn: sqlite3.Connection, mailbox: str) -> dict[str, Stamp]:
    """The state of every stored row of a box (one indexed read, no bodies)."""
    return {
        mid: (fp, seen, archived, fetched)
        for mid, fp, seen, archived, fetched in conn.execute(
            "SELECT id, fingerprint, is_seen, archived, fetched_at FROM messages WHERE mailbox = ?",
            (mailbox,),
        )
    }


def compare(
    incoming: dict[str, Message], prints: dict[str, str], stamps: dict[str, Stamp]
) -> SyncResult:
    """What writing a listing over these rows changes (the rules of ``write_listing``)."""
    new: list[str] = []
    changed: list[str] = []
    for mid, msg in incoming.items():
        old = stamps.get(mid)
        if old is None:
            new.append(mid)
        elif old[0] != prints[mid] or (msg.is_seen and not old[1]) or old[2]:
            changed.append(mid)
    archived = [mid for mid, old in stamps.items() if mid not in incoming and not old[2]]
    return SyncResult(new=tuple(new), changed=tuple(changed), archived=tuple(archived))


def box_view(
    conn: sqlite3.Connection,
    mailbox: str,
    incoming: dict[str, Message],
    prints: dict[str, str],
    stamps: dict[str, Stamp],
    now: str,
) -> tuple[StoredMessage, ...]:
    """The box as ``Store.messages`` will read it after the write, newest first.

    Listed messages come from the listing (their bodies are the listing's strings, not a
    second copy); only stored rows the listing lacks (archived ones) are read.
    """
    fetched_now = from_db(now)
    view: list[StoredMessage] = []
    for mid, msg in incoming.items():
        old = stamps.get(mid)
        rewritten = old is None or old[0] != prints[mid]
        view.append(
            StoredMessage(
                id=mid,
                subject=msg.subject,
                from_name=msg.from_name,
                from_email=msg.from_email,
                to=msg.to,
                received_at=msg.received_at,
                # Seen is sticky, as the write keeps it.
                is_seen=msg.is_seen or (old is not None and bool(old[1])),
                is_html=msg.is_html,
                content=msg.content,
                attachments=msg.attachments,
                mailbox=mailbox,
                fetched_at=fetched_now if rewritten or old is None else from_db(old[3]),
                archived=False,
            )
        )
    view.extend(_read_rows(conn, [mid for mid in stamps if mid not in incoming]))
    # The store's order: received_at descending, then id (two stable sorts).
    view.sort(key=lambda m: m.id)
    view.sort(key=lambda m: m.received_at, reverse=True)
    return tuple(view)


def _read_rows(conn: sqlite3.Connection, ids: Sequence[str]) -> list[StoredMessage]:
    """Full rows of these ids, with the archived flag the write will give them."""
    rows: list[StoredMessage] = []
    for start in range(0, len(ids), READ_BATCH):
        batch = ids[start : start + READ_BATCH]
        marks = ", ".join("?" * len(batch))
        for row in conn.execute(
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE id IN ({marks})", batch
        ):
            message = message_from_row(row)
            # Missing from the listing: archived by the write.
            rows.append(message if message.archived else replace(message, archived=True))
    return rows
