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
from typing import Final

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

_SQLITE_HEADER: Final = b"SQLite format 3\x00"

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


def open_store(
    path: Path, *, busy_timeout: float, clock: Callable[[], datetime], read_only: bool
) -> OpenedStore:
    """Open (creating or repairing) the store at ``path``, read-only or in memory if need be."""
    recovered: Path | None = None
    try:
        if read_only:
            raise _ReadOnlyRequested("opened read-only on request")
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with _exclusive_open(path, wait=2 * busy_timeout):
            _create_private(path)
            try:
                conn, fts = _open_checked(path, busy_timeout)
            except _CorruptDatabaseError:
                recovered = _move_aside(path, clock())
                _create_private(path)
                conn, fts = _open_checked(path, busy_timeout)
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


def _open_checked(path: Path, busy_timeout: float) -> tuple[sqlite3.Connection, bool]:
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
        schema.migrate(conn)
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


@contextlib.contextmanager
def _exclusive_open(path: Path, wait: float) -> Iterator[None]:
    """Serialise opening between processes, so two of them never both move the file aside.

    Waits at most ``wait`` seconds; a process stuck holding the lock must not stop the
    app from starting, so after that the open goes ahead unserialised.
    """
    if sys.platform == "win32":
        yield
        return
    import fcntl

    lock_path = path.with_name(path.name + ".lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    break
                time.sleep(0.01)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _create_private(path: Path) -> None:
    """Create the database file readable by its owner only (it holds private mail)."""
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        os.close(fd)
