"""The ``Store``: known mailboxes and fetched messages in one SQLite file."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Literal

from tempmail_tui.api.models import Mailbox
from tempmail_tui.core.store.connection import utc_now
from tempmail_tui.core.store.mail_rows import MailRows
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
from tempmail_tui.core.store.opening import MIGRATION_WAIT, OpeningNotify, open_store
from tempmail_tui.core.store.pollers import OtherPollers, PollerBeat, beat, leave
from tempmail_tui.core.store.records import GONE_STATES, StoredMailbox, to_db
from tempmail_tui.core.store.search import (
    Page,
    SearchHit,
    box_hits,
    find_messages,
    search_terms,
)


class Store(MailRows):
    """Known mailboxes and fetched messages in one SQLite file, safe across threads and processes.

    Every public method runs in one short transaction and raises ``StoreError`` if the
    database stays locked beyond the busy timeout and retries, or fails otherwise.
    """

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        busy_timeout: float = 5.0,
        lock_retries: int = 2,
        clock: Callable[[], datetime] = utc_now,
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
