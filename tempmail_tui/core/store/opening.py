"""Opening the store's file: checks, repair of a damaged file, and the read-only fallback."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final, Literal

# Through the module, so a test that pretends FTS5 is missing reaches every caller here.
from tempmail_tui.core.store import schema
from tempmail_tui.core.store.errors import (
    SQLITE_READONLY_DIRECTORY,
    StoreError,
    _CorruptDatabaseError,
    _ReadOnlyRequested,
    is_busy,
    is_corruption,
    is_full,
    is_read_only,
)

#: Files above this size skip ``PRAGMA quick_check`` at open, to keep start-up fast.
QUICK_CHECK_MAX_BYTES: Final = 50 * 1024 * 1024

#: How long an open waits for another process that is upgrading the store, before it
#: gives up and runs in memory (a 50,000-mail store upgrades in about 15 s).
MIGRATION_WAIT: Final = 120.0

_SQLITE_HEADER: Final = b"SQLite format 3\x00"

#: What the process upgrading the store writes in the opening lock file while it does.
_UPGRADING_MARK: Final = b"upgrading\n"

# The package's name, as before the split, so log lines and their filters stay the same.
log = logging.getLogger("tempmail_tui.core.store")


@dataclass(frozen=True, slots=True)
class OpenedStore:
    """A connection to the store and what opening it found (see ``Store.open``)."""

    conn: sqlite3.Connection
    #: Whether search can use the FTS5 index.
    fts: bool
    #: The database file, or None for the in-memory fallback.
    path: Path | None
    recovered_from: Path | None = None
    fallback_reason: str | None = None
    read_only_reason: str | None = None


#: What an ``OpeningNotice`` is about.
NoticeKind = Literal["upgrading", "upgraded", "waiting", "waited"]


@dataclass(frozen=True, slots=True)
class OpeningNotice:
    """Something to tell the user while the store opens, because it takes a while."""

    #: ``upgrading`` before a long migration, ``upgraded`` after it; ``waiting`` while
    #: another process upgrades the store, ``waited`` when that is over.
    kind: NoticeKind
    #: One sentence to show as it is.
    text: str


#: Where the opening of a store tells a front end what takes long (see ``OpeningNotice``).
OpeningNotify = Callable[[OpeningNotice], None]


def open_store(
    path: Path,
    *,
    busy_timeout: float,
    clock: Callable[[], datetime],
    read_only: bool,
    notify: OpeningNotify | None = None,
    migration_wait: float = MIGRATION_WAIT,
) -> OpenedStore:
    """Open (creating or repairing) the store at ``path``, read-only or in memory if need be.

    ``notify`` hears of a long upgrade before it starts, and of a wait for another process
    upgrading the store (at most ``migration_wait`` seconds).
    """
    recovered: Path | None = None
    tell = _Teller(notify)
    try:
        if read_only:
            raise _ReadOnlyRequested("opened read-only on request")
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with _exclusive_open(
            path, wait=2 * busy_timeout, migration_wait=migration_wait, tell=tell
        ) as lock:
            upgrading = _Upgrading(lock, tell)
            _create_private(path)
            try:
                conn, fts = _open_checked(path, busy_timeout, upgrading)
            except _CorruptDatabaseError:
                recovered = _move_aside(path, clock())
                _create_private(path)
                conn, fts = _open_checked(path, busy_timeout, upgrading)
            try:
                refusal = _write_refusal(conn, busy_timeout)
            except BaseException:
                conn.close()
                raise
            if refusal is not None:
                conn.close()
                raise refusal
    except Exception as exc:  # opening must never stop the app: read it, or run in memory
        if not isinstance(exc, StoreError):  # a newer schema is not read either
            try:
                conn, fts = _open_read_only(path, busy_timeout)
            except Exception as read_exc:
                log.warning("the local store %s cannot be read either: %s", path, read_exc)
            else:
                why = _open_failure(exc)
                log.warning("the local store %s is open read-only: %s", path, why)
                return OpenedStore(conn, fts, path, recovered_from=recovered, read_only_reason=why)
        reason = f"could not open the local store at {path}: {exc}"
        log.warning("%s; running in memory", reason)
        conn = _connect(":memory:", busy_timeout)
        schema.migrate(conn)
        fts = schema.ensure_fts(conn)
        return OpenedStore(conn, fts, None, recovered_from=recovered, fallback_reason=reason)
    return OpenedStore(conn, fts, path, recovered_from=recovered)


def _open_failure(exc: BaseException) -> str:
    """Why a store could not be opened for writing, in a few words for the user."""
    if isinstance(exc, OSError):
        if exc.errno == errno.ENOSPC:
            return "no space left on device"
        return exc.strerror or type(exc).__name__
    if isinstance(exc, sqlite3.Error) and is_full(exc):
        return "no space left on device"
    if isinstance(exc, sqlite3.Error) and is_read_only(exc):
        # SQLite's own words ("attempt to write a readonly database") do not say where.
        if getattr(exc, "sqlite_errorcode", None) == SQLITE_READONLY_DIRECTORY:
            return "its directory is read-only"
        return "the file or its directory is read-only"
    return str(exc) or type(exc).__name__


def _write_refusal(conn: sqlite3.Connection, busy_timeout: float) -> sqlite3.Error | None:
    """Try a write that is rolled back; the error if the file cannot be written, else None.

    A file opened for writing can still refuse writes (a read-only file, or a WAL that
    cannot be written), and that should be known at open, not at the first new mail.
    """
    # No waiting: a busy database has a writer, and the answer is not worth a delay.
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        conn.execute("BEGIN")
        conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION}")
    except sqlite3.OperationalError as exc:
        if is_read_only(exc):
            return exc
        if not is_busy(exc):
            raise
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
    return None


def _open_read_only(path: Path, busy_timeout: float) -> tuple[sqlite3.Connection, bool]:
    """Open an existing store for reading only; raise if it cannot be read as this version's.

    ``mode=ro`` still needs the WAL's shared-memory file; where even that cannot be made
    (a read-only directory) the file is opened as immutable, which is safe as long as no
    one else can write there either.
    """
    with path.open("rb") as fh:
        if fh.read(len(_SQLITE_HEADER)) != _SQLITE_HEADER:
            raise _CorruptDatabaseError("file is not a database")
    base = path.resolve().as_uri()
    last: sqlite3.Error | None = None
    for query in ("?mode=ro", "?mode=ro&immutable=1"):
        conn = sqlite3.connect(
            base + query,
            uri=True,
            timeout=busy_timeout,
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version != schema.SCHEMA_VERSION:
                raise StoreError(
                    f"the local store has schema {version}, this tempmail-tui reads "
                    f"{schema.SCHEMA_VERSION}, and it cannot be converted while read-only"
                )
            if path.stat().st_size <= QUICK_CHECK_MAX_BYTES:
                rows = conn.execute("PRAGMA quick_check").fetchall()
                if rows != [("ok",)]:
                    raise _CorruptDatabaseError("; ".join(str(r[0]) for r in rows[:3]))
            fts = schema.has_table(conn, "messages_fts") and schema.fts5_available(conn)
        except sqlite3.Error as exc:
            conn.close()
            last = exc
            continue
        except BaseException:
            conn.close()
            raise
        return conn, fts
    assert last is not None
    raise last


def _connect(path: Path | str, busy_timeout: float) -> sqlite3.Connection:
    conn = sqlite3.connect(
        path,
        timeout=busy_timeout,
        isolation_level=None,  # explicit BEGIN/COMMIT only
        check_same_thread=False,  # guarded by the Store's lock
    )
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


class _Teller:
    """Passes notices to the front end's callback; a failing callback does not stop the open."""

    def __init__(self, notify: OpeningNotify | None) -> None:
        self._notify = notify

    def __call__(self, kind: NoticeKind, text: str) -> None:
        log.info("%s", text)
        if self._notify is None:
            return
        try:
            self._notify(OpeningNotice(kind, text))
        except Exception:
            log.exception("a front end failed to take a notice about the local store")


class _Upgrading:
    """Marks the lock file while a migration runs, says a long one, and logs its time."""

    def __init__(self, lock: _OpenLock, tell: _Teller) -> None:
        self._lock = lock
        self._tell = tell
        self._upgrade: schema.Upgrade | None = None
        self._started = 0.0

    def __call__(self, upgrade: schema.Upgrade) -> None:
        """The migration is about to start (under the write lock)."""
        self._upgrade, self._started = upgrade, time.monotonic()
        self._lock.mark(_UPGRADING_MARK)
        if upgrade.notable:
            self._tell(
                "upgrading",
                "Updating the local database for this version "
                f"(one-off, {upgrade.messages:,} messages)…",
            )

    def finished(self, done: bool) -> None:
        """The migration committed (``done``) or failed."""
        self._lock.mark(b"")
        upgrade, self._upgrade = self._upgrade, None
        if upgrade is None:
            return
        seconds = time.monotonic() - self._started
        if not done:
            log.warning("upgrading the local store failed after %.1f s", seconds)
            return
        log.info(
            "the local store went from schema %d to %d (%d messages) in %.2f s",
            upgrade.from_version,
            schema.SCHEMA_VERSION,
            upgrade.messages,
            seconds,
        )
        if upgrade.notable:
            self._tell("upgraded", f"Updated the local database in {seconds:.0f} s.")


def _open_checked(
    path: Path, busy_timeout: float, upgrading: _Upgrading
) -> tuple[sqlite3.Connection, bool]:
    """Open, check and migrate the file; raise ``_CorruptDatabaseError`` if it is damaged."""
    # Checked before SQLite sees the file: closing a connection to a file that is not
    # a database deletes its -wal, which should be kept with the damaged file instead.
    with path.open("rb") as fh:
        header = fh.read(len(_SQLITE_HEADER))
    if header and header != _SQLITE_HEADER:
        raise _CorruptDatabaseError("file is not a database")
    conn = _connect(path, busy_timeout)
    try:
        # The first statement that reads the header is what fails on a non-database file.
        conn.execute("PRAGMA journal_mode = WAL").fetchone()
        size = path.stat().st_size if path.exists() else 0
        if size <= QUICK_CHECK_MAX_BYTES:
            rows = conn.execute("PRAGMA quick_check").fetchall()
            if rows != [("ok",)]:
                raise _CorruptDatabaseError("; ".join(str(r[0]) for r in rows[:3]))
        try:
            schema.migrate(conn, upgrading)
        except BaseException:
            upgrading.finished(done=False)
            raise
        upgrading.finished(done=True)
        fts = schema.ensure_fts(conn)
    except sqlite3.DatabaseError as exc:
        conn.close()
        if is_corruption(exc):
            raise _CorruptDatabaseError(str(exc)) from exc
        raise
    except BaseException:
        conn.close()
        raise
    return conn, fts


def _move_aside(path: Path, now: datetime) -> Path:
    """Rename a damaged database (and its WAL and shared-memory files) out of the way."""
    stamp = now.astimezone().strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{counter}")
    for suffix in ("-wal", "-shm", "-journal"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.replace(target.with_name(target.name + suffix))
    path.replace(target)
    return target


class _OpenLock:
    """The opening lock file, held: it can say what its holder is doing to those waiting."""

    def __init__(self, fd: int | None) -> None:
        self._fd = fd

    def mark(self, mark: bytes) -> None:
        """Write what the holder does now (empty: nothing worth waiting for)."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):  # a mark is a courtesy; the open goes on without
            os.ftruncate(self._fd, 0)
            if mark:
                os.pwrite(self._fd, mark, 0)


def _marked_upgrading(fd: int) -> bool:
    """Whether the lock's holder says it is upgrading the store."""
    try:
        return os.pread(fd, len(_UPGRADING_MARK), 0) == _UPGRADING_MARK
    except OSError:
        return False


@contextlib.contextmanager
def _exclusive_open(
    path: Path, wait: float, *, migration_wait: float, tell: _Teller
) -> Iterator[_OpenLock]:
    """Serialise opening between processes, so two of them never both move the file aside.

    Waits at most ``wait`` seconds; a process stuck holding the lock must not stop the
    app from starting, so after that the open goes ahead unserialised. A holder that says
    it is upgrading the store is waited for up to ``migration_wait`` seconds instead: going
    ahead would find the database locked by the upgrade and run in memory.
    """
    if sys.platform == "win32":
        yield _OpenLock(None)
        return
    import fcntl

    lock_path = path.with_name(path.name + ".lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + wait
        waiting_since: float | None = None
        held = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held = True
                break
            except BlockingIOError:
                now = time.monotonic()
                if waiting_since is None and _marked_upgrading(fd):
                    waiting_since = now
                    deadline = max(deadline, now + migration_wait)
                    tell(
                        "waiting",
                        "Waiting for another tempmail-tui to finish updating the local database…",
                    )
                if now >= deadline:
                    if waiting_since is not None:
                        log.warning(
                            "gave up waiting %.0f s for another process upgrading %s",
                            now - waiting_since,
                            path,
                        )
                    break
                time.sleep(0.01)
        if waiting_since is not None and held:
            tell("waited", "The local database is up to date.")
        lock = _OpenLock(fd if held else None)
        if held:
            lock.mark(b"")  # a holder killed mid-upgrade left its mark behind
        try:
            yield lock
        finally:
            lock.mark(b"")
    finally:
        os.close(fd)  # closing releases the lock


def _create_private(path: Path) -> None:
    """Create the database file readable by its owner only (it holds private mail)."""
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        os.close(fd)
