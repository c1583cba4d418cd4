"""The ``Store``: known mailboxes and fetched messages in one SQLite file."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, TypeVar

from tempmail_tui.api.listed import ListedMessage
from tempmail_tui.api.models import Mailbox, Message
from tempmail_tui.core.store.errors import StoreError, is_busy, store_error
from tempmail_tui.core.store.mailboxes import (
    add_manual,
    find_mailbox,
    list_mailboxes,
    mark_gone,
    rename,
    set_labels,
    upsert_mailbox,
    validate_address,
)
from tempmail_tui.core.store.memory import ListingMemory, ReadMemory
from tempmail_tui.core.store.opening import MIGRATION_WAIT, OpeningNotify, open_store
from tempmail_tui.core.store.plan import (
    Stamp,
    SyncPlan,
    box_view,
    compare,
    read_stamps,
    written_stamps,
)
from tempmail_tui.core.store.pollers import OtherPollers, PollerBeat, beat, leave
from tempmail_tui.core.store.records import (
    GONE_STATES,
    MESSAGE_COLUMNS,
    MessageSummary,
    StoredMailbox,
    StoredMessage,
    SyncResult,
    message_from_row,
    to_db,
)
from tempmail_tui.core.store.search import (
    Page,
    SearchHit,
    box_hits,
    find_messages,
    search_terms,
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

_T = TypeVar("_T")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Store:
    """Known mailboxes and fetched messages in one SQLite file, safe across threads and processes.

    Every public method runs in one short transaction and raises ``StoreError`` if the
    database stays locked beyond the busy timeout and retries, or fails otherwise.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        path: Path | None,
        fts: bool,
        recovered_from: Path | None = None,
        fallback_reason: str | None = None,
        read_only_reason: str | None = None,
        lock_retries: int = 2,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._conn: sqlite3.Connection | None = conn
        self._lock = threading.Lock()
        self._fts = fts
        self._lock_retries = lock_retries
        self._clock = clock
        # The last listing synced per mailbox, with fingerprints (see plan_sync).
        self._listings = ListingMemory()
        # The messages (no bodies) last read per mailbox, with the row state they were read
        # at: see summaries.
        self._reads = ReadMemory()
        #: The database file, or None when running on the in-memory fallback.
        self.path = path
        #: Where a damaged database was moved to at open, for the UI to report.
        self.recovered_from = recovered_from
        #: Why the store runs in memory only (nothing will persist), or None if it does not.
        self.fallback_reason = fallback_reason
        #: Why the file could only be opened for reading (stored mail shown, nothing new
        #: kept), or None when it is writable.
        self.read_only_reason = read_only_reason
        # Each box's row state as last planned or written, with when it was true (writes to
        # the mail by this store, PRAGMA data_version): see plan_sync.
        self._stamps: dict[str, tuple[int, int | None, dict[str, Stamp]]] = {}
        # Transactions of this store that may have changed mail (heartbeats do not count).
        self._mail_writes = 0
        # What PRAGMA data_version said last: it changes when another connection commits.
        self._data_version = self._read_data_version(conn)
        # The mail's own version (see schema.py): heartbeats change data_version only.
        self._mail_version = self._read_mail_version(conn)

    def __repr__(self) -> str:
        return f"Store(path={self.path!r}, recovered_from={self.recovered_from!r})"

    @property
    def read_only(self) -> bool:
        """Whether the store was opened for reading only (writes raise StoreReadOnlyError)."""
        return self.read_only_reason is not None

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        busy_timeout: float = 5.0,
        lock_retries: int = 2,
        clock: Callable[[], datetime] = _utc_now,
        read_only: bool = False,
        notify: OpeningNotify | None = None,
        migration_wait: float = MIGRATION_WAIT,
    ) -> Store:
        """Open (creating or repairing) the store at ``path``; never raises.

        A damaged file is moved aside and ``recovered_from`` names where it went. An
        existing file that cannot be written (read-only file, directory or disk, or
        ``read_only``) is opened for reading and ``read_only_reason`` says why. If the file
        cannot be used at all, the store runs in memory and ``fallback_reason`` says why.
        ``notify`` hears, before it starts, of an upgrade of the file that may take long, and
        of a wait (up to ``migration_wait`` seconds) for another process upgrading it.
        """
        opened = open_store(
            Path(path),
            busy_timeout=busy_timeout,
            clock=clock,
            read_only=read_only,
            notify=notify,
            migration_wait=migration_wait,
        )
        return cls(
            opened.conn,
            path=opened.path,
            fts=opened.fts,
            recovered_from=opened.recovered_from,
            fallback_reason=opened.fallback_reason,
            read_only_reason=opened.read_only_reason,
            lock_retries=lock_retries,
            clock=clock,
        )

    def close(self) -> None:
        """Close the database; later calls raise ``StoreError``."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def has_fts(self) -> bool:
        """Whether search uses the FTS5 index (otherwise a slower LIKE scan)."""
        return self._fts

    # -- transactions -------------------------------------------------------------------

    def _run(
        self, work: Callable[[sqlite3.Connection], _T], *, write: bool, mail: bool = True
    ) -> _T:
        """Run ``work`` in one transaction, retrying when the database stays locked.

        ``mail=False`` says a write touches no message (the pollers' heartbeats), so the
        row state held per box stays true (see ``plan_sync``).
        """
        with self._lock:
            conn = self._conn
            if conn is None:
                raise StoreError("the local store is closed")
            attempt = 0
            while True:
                if write and mail:
                    # Counted before the work: a write that fails half way counts too.
                    self._mail_writes += 1
                try:
                    # IMMEDIATE takes the write lock up front: a deferred transaction that
                    # upgrades later can fail with SQLITE_BUSY without waiting at all. A
                    # read-only store takes no lock: a write that finds nothing to change
                    # (a quiet sync) then succeeds, and one that would change fails.
                    immediate = write and not self.read_only
                    conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
                    try:
                        result = work(conn)
                        conn.execute("COMMIT")
                    except BaseException:
                        if conn.in_transaction:
                            with contextlib.suppress(sqlite3.Error):
                                conn.execute("ROLLBACK")
                        raise
                    return result
                except sqlite3.Error as exc:
                    if is_busy(exc) and attempt < self._lock_retries:
                        attempt += 1
                        time.sleep(0.05 * attempt)
                        continue
                    raise store_error(exc) from exc

    # -- changes made elsewhere ---------------------------------------------------------

    @staticmethod
    def _read_data_version(conn: sqlite3.Connection) -> int | None:
        try:
            return int(conn.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.Error:
            return None

    @staticmethod
    def _read_mail_version(conn: sqlite3.Connection) -> int | None:
        try:
            row = conn.execute("SELECT version FROM mail_version WHERE id = 1").fetchone()
        except sqlite3.Error:
            return None
        return None if row is None else int(row[0])

    def changed_elsewhere(self) -> bool:
        """Whether another connection (process) changed the mail since the last call; cheap.

        A commit that changed only the pollers' heartbeats is not a change. When there is
        one, the per-box caches are dropped, so the next reads come from the file.
        """
        with self._lock:
            conn = self._conn
            if conn is None:
                raise StoreError("the local store is closed")
            try:
                version = int(conn.execute("PRAGMA data_version").fetchone()[0])
                if version == self._data_version:
                    return False
                mail = self._read_mail_version(conn)
            except sqlite3.Error as exc:
                raise StoreError(f"local store error: {exc}") from exc
            self._data_version = version
            # This connection's own changes since the last look count once too: rare, and
            # safer than missing another's.
            changed = mail is None or mail != self._mail_version
            self._mail_version = mail
            if changed:
                self._reads.clear()
                self._listings.clear()
            return changed

    # -- mailboxes ----------------------------------------------------------------------

    def add_mailbox(self, mb: Mailbox, *, manual: bool = False) -> StoredMailbox:
        """Remember a mailbox the API returned (insert or update by address); it becomes live."""
        email = validate_address(mb.email)
        now = to_db(self._clock())
        return self._run(
            lambda conn: upsert_mailbox(conn, email, mb, now, manual=manual), write=True
        )

    def add_manual_address(self, email: str) -> StoredMailbox:
        """Remember an address typed by the user; its id and expiry stay unknown until learnt."""
        email = validate_address(email)
        now = to_db(self._clock())
        return self._run(lambda conn: add_manual(conn, email, now), write=True)

    def mailbox(self, email: str) -> StoredMailbox | None:
        """One known mailbox by address (case-insensitive), or None."""
        return self._run(lambda conn: find_mailbox(conn, email), write=False)

    def mailboxes(self, *, include_gone: bool = True) -> list[StoredMailbox]:
        """Known mailboxes, newest first; ``include_gone=False`` keeps only live ones."""
        return self._run(lambda conn: list_mailboxes(conn, include_gone=include_gone), write=False)

    def set_labels(self, email: str, labels: Sequence[str]) -> StoredMailbox:
        """Replace a known box's labels (cleaned by ``core.labels`` before they get here)."""
        return self._run(lambda conn: set_labels(conn, email, labels), write=True)

    def mark_mailbox_gone(
        self, email: str, state: Literal["expired", "deleted", "renamed"] = "deleted"
    ) -> None:
        """Record that the server no longer has this box; its messages stay readable, archived."""
        if state not in GONE_STATES:
            raise ValueError("state must be 'expired', 'deleted' or 'renamed'")
        self._run(lambda conn: mark_gone(conn, email, state), write=True)

    def rename_mailbox(self, old_email: str, new: Mailbox) -> StoredMailbox:
        """Record a rename: the new box becomes live, the old one points at it, messages move."""
        new_email = validate_address(new.email)
        now = to_db(self._clock())

        self._listings.forget(old_email)
        return self._run(lambda conn: rename(conn, old_email, new_email, new, now), write=True)

    def delete_mailbox_local(self, email: str) -> None:
        """Forget a mailbox and all its messages, search index included (the user's choice)."""
        key = email.casefold()
        self._listings.forget(key)

        def work(conn: sqlite3.Connection) -> None:
            # The messages go by the foreign key's cascade, their index rows by its trigger.
            conn.execute("DELETE FROM mailboxes WHERE email = ?", (email,))
            self._reads.forget(key)

        self._run(work, write=True)

    def message_count(self, email: str) -> int:
        """How many messages are stored for a mailbox, archived ones included."""
        query = "SELECT count(*) FROM messages WHERE mailbox = ?"
        return self._run(lambda conn: int(conn.execute(query, (email,)).fetchone()[0]), write=False)

    # -- messages -----------------------------------------------------------------------

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

    # -- the pollers sharing the quota ------------------------------------------------

    def beat_poller(self, poller: PollerBeat) -> OtherPollers | None:
        """Record a poller's heartbeat; the other live pollers, or None where none can be.

        The in-memory fallback is this process alone, and a read-only file cannot record
        the heartbeat: both give None, and the caller plans alone.
        """
        if self.path is None or self.read_only:
            return None
        now = self._clock()
        return self._run(lambda conn: beat(conn, poller, now), write=True, mail=False)

    def leave_poller(self, poller_id: str) -> None:
        """Remove a poller that stops, so the others stop counting it at once."""
        if self.path is None or self.read_only:
            return
        self._run(lambda conn: leave(conn, poller_id), write=True, mail=False)

    # -- search -------------------------------------------------------------------------

    def box_hits(
        self, mailboxes: Sequence[str], limit: int = 200, *, offset: int = 0
    ) -> list[SearchHit]:
        """The stored mail of these boxes as search hits, newest first; no body is read."""
        page = Page(max(1, min(int(limit), 10_000)), max(0, int(offset)))
        return self._run(lambda conn: box_hits(conn, list(mailboxes), page), write=False)

    def search(self, query: str, limit: int = 200, *, offset: int = 0) -> list[SearchHit]:
        """Messages in every box whose subject, sender or text contain all the query's words.

        Words are matched as whole tokens (a trailing ``*`` makes one a prefix); nothing in
        the query is read as search syntax, so no query raises. Best matches first (see
        ``core/store/search.py``), ``limit`` of them after the first ``offset``; no body is
        read: open a hit with ``message``.
        """
        terms = search_terms(query)
        if not terms:
            return []
        page = Page(max(1, min(int(limit), 10_000)), max(0, int(offset)))
        now = self._clock()
        return self._run(
            lambda conn: find_messages(conn, query, terms, page, fts=self._fts, now=now),
            write=False,
        )
