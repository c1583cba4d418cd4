"""The store's messages: a listing planned and written, and the reads, marks and deletes."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import replace

from tempmail_tui.api.listed import ListedMessage
from tempmail_tui.api.models import Message
from tempmail_tui.core.store.connection import StoreConnection
from tempmail_tui.core.store.plan import (
    Stamp,
    SyncPlan,
    box_view,
    compare,
    read_stamps,
    written_stamps,
)
from tempmail_tui.core.store.records import (
    MESSAGE_COLUMNS,
    MessageSummary,
    StoredMessage,
    SyncResult,
    message_from_row,
    to_db,
)
from tempmail_tui.core.store.sync import (
    READ_BATCH,
    RowParams,
    bodiless_params,
    fingerprint,
    message_params,
    read_box,
    with_body,
    write_listing,
    write_message,
)


class MailRows(StoreConnection):
    """The messages' part of the ``Store``: each method is one transaction (see ``_run``)."""

    def sync_messages(
        self, mailbox: str, messages: Sequence[Message | ListedMessage]
    ) -> SyncResult:
        """Store a fresh ``GET /messages`` listing; messages missing from it become archived.

        Unchanged messages (same fingerprint, seen state already stored) are not rewritten,
        so re-syncing a large, quiet mailbox costs one indexed read.
        """
        return self.apply_sync(self.plan_sync(mailbox, messages))

    def plan_sync(
        self, mailbox: str, messages: Sequence[Message | ListedMessage], *, view: bool = False
    ) -> SyncPlan:
        """Compare a listing with the stored box without writing (see ``apply_sync``).

        With ``view`` (or when the listing changes anything) the plan holds the box as it
        will read once written, so it can be shown before the write. Only stored messages
        are fingerprinted here (to tell a changed one); new ones are left to the write.
        """
        # The server's list may repeat an id; the last copy wins.
        incoming: dict[str, ListedMessage] = {}
        for msg in messages:
            incoming[msg.id] = ListedMessage.of(msg) if isinstance(msg, Message) else msg
        now = to_db(self._clock())
        key = mailbox.casefold()

        def work(conn: sqlite3.Connection) -> SyncPlan:
            # The box's row state is held from the last plan or write of it while nothing
            # else wrote mail: this store (its write count) or another connection (the
            # file's data_version, in this transaction). Otherwise it is read.
            when = (self._mail_writes, self._read_data_version(conn))
            held = self._stamps.get(mailbox)
            if held is not None and when[1] is not None and held[:2] == when:
                stamps = held[2]
            else:
                stamps = read_stamps(conn, mailbox)
                self._stamps[mailbox] = (*when, stamps)
            stored = {mid: msg for mid, msg in incoming.items() if mid in stamps}
            prints, keyed = self._listings.fingerprints(mailbox, stored)
            result = compare(incoming, prints, stamps)
            plan = SyncPlan(mailbox, incoming, prints, stamps, result, now, None, when, keyed)
            if not (view or result.any):
                return plan
            entries = box_view(conn, plan, self._reads.get(key) or {})
            # The read after the write finds these rows as they are here: the same objects.
            self._reads.keep(key, entries)
            return replace(plan, view=entries)

        return self._run(work, write=False)

    def apply_sync(self, plan: SyncPlan) -> SyncResult:
        """Write a planned sync: what differs from the stored rows, and the text to index.

        The rows to write are prepared before taking the write lock (extracting text to
        index is the slow part), from the plan's guess of which ones differ, without their
        bodies: each body is decoded again as its row is written, so a first fill never
        holds the text of every mail at once. The write compares again, in its
        transaction, with the rows as they are then.
        """
        mailbox, incoming = plan.mailbox, plan.incoming
        prints, _ = self._listings.fingerprints(mailbox, incoming, plan.keyed)
        params = {
            mid: bodiless_params(mailbox, incoming[mid], prints[mid], plan.now)
            for mid in plan.rewrites()
        }

        def row(mid: str) -> RowParams:
            prepared = params.pop(mid, None)
            if prepared is None:
                # Another process changed the row since the plan; rare.
                prepared = bodiless_params(mailbox, incoming[mid], prints[mid], plan.now)
            return with_body(prepared, incoming[mid])

        held: list[tuple[int, int | None, dict[str, Stamp]]] = []

        def work(conn: sqlite3.Connection) -> SyncResult:
            version = self._read_data_version(conn)
            # Nothing but this write since the plan (its count was taken as it began).
            alone = plan.when == (self._mail_writes - 1, version) and version is not None
            written = write_listing(conn, mailbox, incoming, prints, row)
            self._stamp_view(plan, prints)
            if alone:
                held.append((self._mail_writes, version, written_stamps(plan, prints)))
            return written

        result = self._run(work, write=True)
        if held:
            # Kept once committed: a later write of this store or another's makes it stale.
            with self._lock:
                self._stamps[mailbox] = held[0]
        return result

    def _stamp_view(self, plan: SyncPlan, prints: dict[str, str]) -> None:
        """Give the plan's rows kept for the next read the fingerprints the write gave them."""
        entries = self._reads.get(plan.mailbox.casefold())
        if plan.view is None or entries is not plan.view:
            return
        for mid in plan.incoming:
            if mid not in plan.stamps and mid in entries:
                stamp, message = entries[mid]
                entries[mid] = ((prints[mid], *stamp[1:]), message)

    def upsert_message(self, mailbox: str, msg: Message) -> None:
        """Store one message as read with ``GET /messages/{id}`` (it is live again if archived)."""
        params = message_params(mailbox, msg, fingerprint(msg), to_db(self._clock()))
        self._run(lambda conn: write_message(conn, mailbox, params), write=True)

    def messages(self, mailbox: str) -> list[StoredMessage]:
        """A mailbox's messages with their bodies, archived ones included, newest first."""
        query = (
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE mailbox = ?"
            " ORDER BY received_at DESC, id"
        )
        return self._run(
            lambda conn: [message_from_row(row) for row in conn.execute(query, (mailbox,))],
            write=False,
        )

    def summaries(self, mailbox: str) -> list[MessageSummary]:
        """A mailbox's messages without their bodies, archived ones included, newest first.

        A large box is re-read after every poll that changed it, so the rows read last time
        are kept with their state (fingerprint, seen, archived, fetch time, mailbox) and only
        rows whose state differs are read again, in the same transaction.
        """
        key = mailbox.casefold()

        def work(conn: sqlite3.Connection) -> list[MessageSummary]:
            entries = read_box(conn, mailbox, self._reads.get(key) or {})
            self._reads.keep(key, entries)
            return [message for _, message in entries.values()]

        return self._run(work, write=False)

    def bodies(self, message_ids: Sequence[str]) -> dict[str, str]:
        """The bodies of these stored messages by id (those not stored are left out)."""

        def work(conn: sqlite3.Connection) -> dict[str, str]:
            found: dict[str, str] = {}
            for start in range(0, len(message_ids), READ_BATCH):
                batch = list(message_ids[start : start + READ_BATCH])
                marks = ", ".join("?" * len(batch))
                query = f"SELECT id, content FROM messages WHERE id IN ({marks})"
                found.update(conn.execute(query, batch).fetchall())
            return found

        return self._run(work, write=False)

    def message(self, message_id: str) -> StoredMessage | None:
        """One message by id, or None."""

        def work(conn: sqlite3.Connection) -> StoredMessage | None:
            row = conn.execute(
                f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = ?", (message_id,)
            ).fetchone()
            return None if row is None else message_from_row(row)

        return self._run(work, write=False)

    def mark_seen(self, message_id: str) -> None:
        """Mark a message seen locally; it stays seen whatever the server says later."""
        self._run(
            lambda conn: conn.execute(
                "UPDATE messages SET is_seen = 1 WHERE id = ? AND is_seen = 0", (message_id,)
            ),
            write=True,
        )

    def delete_message(self, message_id: str) -> None:
        """Remove a message the user deleted."""
        self._run(
            lambda conn: conn.execute("DELETE FROM messages WHERE id = ?", (message_id,)),
            write=True,
        )

    def unread_counts(self, *, include_gone: bool = True) -> dict[str, int]:
        """Unseen messages per known mailbox (zero included), archived ones counted.

        ``include_gone=False`` counts the boxes in state live only (as ``mailboxes`` lists
        them): the reader's start-up shows those before it reads the archive.
        """
        where = "" if include_gone else " WHERE b.state = 'live'"

        def work(conn: sqlite3.Connection) -> dict[str, int]:
            # Counted in the partial index of unseen mail (schema 3): a year of archive is
            # 50,000 rows, nearly all seen, and none of them is read.
            rows = conn.execute(
                "SELECT b.email, (SELECT count(*) FROM messages INDEXED BY messages_unseen"
                " WHERE mailbox = b.email AND is_seen = 0) FROM mailboxes AS b" + where
            ).fetchall()
            return {str(email): int(count) for email, count in rows}

        return self._run(work, write=False)
