"""A sync worked out before it is written: what a listing changes, and the box as it will read.

The reader shows a poll's mail before it is stored: the plan is one indexed read of the
box's row state, so the slow part of a sync (extracting the text to index, writing rows)
can follow on the store thread after the screen has the mail.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise

from tempmail_tui.api.listed import ListedMessage
from tempmail_tui.core.store.records import (
    SUMMARY_COLUMNS,
    MessageSummary,
    SharedValues,
    SyncResult,
    from_db,
    summary_from_row,
)
from tempmail_tui.core.store.sync import READ_BATCH, ListingKey, RowStamp

#: A stored row's state as a plan needs it: fingerprint, is_seen, archived, fetched_at.
Stamp = tuple[str, int, int, str]


@dataclass(frozen=True, slots=True)
class SyncPlan:
    """A listing compared with the stored box, not written yet (see ``Store.apply_sync``)."""

    mailbox: str
    # The listing by id (a repeated id: the last copy wins; bodies undecoded), and the
    # fingerprint of each listed message already stored (new ones are fingerprinted by the
    # write).
    incoming: dict[str, ListedMessage]
    prints: dict[str, str]
    # The stored rows of the box when the plan was made.
    stamps: dict[str, Stamp]
    # What the write will change, as far as the stored rows of the plan say.
    result: SyncResult
    # The fetch time written for new and changed rows (``to_db`` form).
    now: str
    # The box as the store will read it once the plan is written (None when not asked for).
    view: dict[str, tuple[RowStamp, MessageSummary]] | None
    # When the stamps were true: the store's count of mail writes and the file's
    # data_version (see ``Store.plan_sync``).
    when: tuple[int, int | None] = (-1, None)
    # The listed messages the plan fingerprinted, with their keys: the write reuses them.
    keyed: dict[str, tuple[ListingKey, str]] = field(default_factory=dict)

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
    text = SharedValues().text
    return {
        mid: (fp, seen, archived, text(fetched))
        for mid, fp, seen, archived, fetched in conn.execute(
            "SELECT id, fingerprint, is_seen, archived, fetched_at FROM messages WHERE mailbox = ?",
            (mailbox,),
        )
    }


def written_stamps(plan: SyncPlan, prints: dict[str, str]) -> dict[str, Stamp]:
    """The box's row state once the plan is written over the rows it was made from."""
    if plan.view is None:
        # Nothing to change (see ``Store.plan_sync``): the rows stay as they were.
        return plan.stamps
    return {
        mid: (prints[mid] if mid in plan.incoming else stamp[0], *stamp[1:4])
        for mid, (stamp, _) in plan.view.items()
    }


def compare(
    incoming: dict[str, ListedMessage], prints: dict[str, str], stamps: dict[str, Stamp]
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
    plan: SyncPlan,
    known: dict[str, tuple[RowStamp, MessageSummary]],
) -> dict[str, tuple[RowStamp, MessageSummary]]:
    """The box as ``Store.messages`` will read it after the write, newest first, with row states.

    Listed messages come from the listing, without their bodies (the list holds none); a
    message whose row will read as ``known`` has it is that same object, so the list sees
    it unchanged. Only stored rows the listing lacks (archived) are read.
    """
    mailbox, stamps = plan.mailbox, plan.stamps
    fetched_now = from_db(plan.now)
    shared = SharedValues()
    text = shared.text
    entries: list[tuple[RowStamp, MessageSummary]] = []
    for mid, msg in plan.incoming.items():
        old = stamps.get(mid)
        # A new row's fingerprint is filled in by the write (``Store.apply_sync``).
        digest = plan.prints.get(mid, "")
        rewritten = old is None or old[0] != digest
        # Seen is sticky, as the write keeps it; a rewrite sets the fetch time.
        seen = int(msg.is_seen or (old is not None and bool(old[1])))
        fetched = plan.now if old is None or rewritten else old[3]
        stamp: RowStamp = (digest, seen, 0, fetched, mailbox)
        hit = known.get(mid)
        if hit is not None and hit[0] == stamp:
            entries.append(hit)
            continue
        stored = MessageSummary(
            id=mid,
            subject=msg.subject,
            from_name=text(msg.from_name),
            from_email=text(msg.from_email),
            to=text(msg.to),
            received_at=msg.received_at,
            is_seen=bool(seen),
            is_html=msg.is_html,
            attachments=msg.attachments,
            mailbox=mailbox,
            fetched_at=fetched_now if fetched == plan.now else shared.moment(fetched),
            archived=False,
        )
        entries.append((stamp, stored))
    missing: list[str] = []
    for mid, old in stamps.items():
        if mid in plan.incoming:
            continue
        # Missing from the listing: archived by the write.
        hit = known.get(mid)
        if hit is not None and hit[0] == (old[0], old[1], 1, old[3], hit[1].mailbox):
            entries.append(hit)
        else:
            missing.append(mid)
    for message in _read_rows(conn, missing, shared):
        old = stamps[message.id]
        entries.append(((old[0], old[1], 1, old[3], message.mailbox), message))
    if not _in_store_order(entries):
        # The store's order: received_at descending, then id (two stable sorts).
        entries.sort(key=lambda e: e[1].id)
        entries.sort(key=lambda e: e[1].received_at, reverse=True)
    return {message.id: (stamp, message) for stamp, message in entries}


def _in_store_order(entries: list[tuple[RowStamp, MessageSummary]]) -> bool:
    """Whether rows are newest first, then by id, already: a listing usually comes so.

    One look at each pair costs a quarter of the two sorts (5,000 rows: 2 ms, not 8).
    """
    return all(
        newer.received_at > older.received_at
        or (newer.received_at == older.received_at and newer.id <= older.id)
        for (_, newer), (_, older) in pairwise(entries)
    )


def _read_rows(
    conn: sqlite3.Connection, ids: Sequence[str], shared: SharedValues
) -> list[MessageSummary]:
    """Rows of these ids (no bodies), with the archived flag the write will give them."""
    rows: list[MessageSummary] = []
    for start in range(0, len(ids), READ_BATCH):
        batch = ids[start : start + READ_BATCH]
        marks = ", ".join("?" * len(batch))
        for row in conn.execute(
            f"SELECT {SUMMARY_COLUMNS} FROM messages WHERE id IN ({marks})", batch
        ):
            message = summary_from_row(row, shared)
            # Missing from the listing: archived by the write.
            rows.append(message if message.archived else replace(message, archived=True))
    return rows
