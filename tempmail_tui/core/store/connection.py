"""The store's SQLite connection: its state, one transaction at a time, changes made elsewhere."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Self, TypeVar

from tempmail_tui.core.store.errors import StoreError, is_busy, store_error
from tempmail_tui.core.store.memory import ListingMemory, ReadMemory
from tempmail_tui.core.store.plan import Stamp

_T = TypeVar("_T")


def utc_now() -> datetime:
    """The store's default clock."""
    return datetime.now(UTC)


class StoreConnection:
    """The connection the store's methods share, with the caches that stay true between them.

    ``Store`` (store.py) builds on it; ``_run`` is the one way its methods reach the file.
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
        clock: Callable[[], datetime] = utc_now,
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
        return f"{type(self).__name__}(path={self.path!r}, recovered_from={self.recovered_from!r})"

    @property
    def read_only(self) -> bool:
        """Whether the store was opened for reading only (writes raise StoreReadOnlyError)."""
        return self.read_only_reason is not None

    def close(self) -> None:
        """Close the database; later calls raise ``StoreError``."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Self:
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
