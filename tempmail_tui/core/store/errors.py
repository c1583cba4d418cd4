"""The store's errors, the signals used while opening it, and what SQLite's errors mean."""

from __future__ import annotations

import sqlite3
from typing import Final

from tempmail_tui.errors import LocalError

#: What a write to a full disk says (the store's own words, never the server's).
STORE_FULL_MESSAGE: Final = "the local store is full (no space left on device)"
#: What a write to a store opened read-only says.
STORE_READ_ONLY_MESSAGE: Final = "the local store is read-only: new mail and boxes are not kept"

# Primary result codes (the low byte of an extended code).
_SQLITE_BUSY: Final = 5
_SQLITE_LOCKED: Final = 6
_SQLITE_READONLY: Final = 8
#: The extended code for a write refused because the directory is read-only.
SQLITE_READONLY_DIRECTORY: Final = _SQLITE_READONLY | (6 << 8)
_SQLITE_CORRUPT: Final = 11
_SQLITE_FULL: Final = 13
_SQLITE_NOTADB: Final = 26


class StoreError(LocalError):
    """The local store could not complete an operation (locked too long, disk full, damaged)."""


class StoreFullError(StoreError):
    """A write failed because the disk (or the database's size limit) is full."""

    def __init__(self, message: str = STORE_FULL_MESSAGE) -> None:
        super().__init__(message)


class StoreReadOnlyError(StoreError):
    """A write failed because the store can only be read (read-only file, directory or disk)."""

    def __init__(self, message: str = STORE_READ_ONLY_MESSAGE) -> None:
        super().__init__(message)


# The two signals below never leave ``Store.open`` (they choose how the file is opened),
# so they stay private and outside the error family.


class _CorruptDatabaseError(Exception):
    """The file at the store path is not a usable SQLite database."""


class _ReadOnlyRequested(Exception):
    """The caller asked for the store to be opened for reading only."""


def _error_code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def is_busy(exc: sqlite3.Error) -> bool:
    """Whether the error means another connection holds the lock."""
    code = _error_code(exc)
    if code is not None:
        return code in (_SQLITE_BUSY, _SQLITE_LOCKED)
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def is_corruption(exc: sqlite3.Error) -> bool:
    """Whether the error means the file is damaged or not a database."""
    code = _error_code(exc)
    if code is not None:
        return code in (_SQLITE_CORRUPT, _SQLITE_NOTADB)
    text = str(exc).lower()
    return "not a database" in text or "malformed" in text


def is_full(exc: sqlite3.Error) -> bool:
    """Whether the error means the disk (or the database's size limit) is full."""
    code = _error_code(exc)
    if code is not None:
        return code == _SQLITE_FULL
    return "database or disk is full" in str(exc).lower()


def is_read_only(exc: sqlite3.Error) -> bool:
    """Whether the error means the file cannot be written."""
    code = _error_code(exc)
    if code is not None:
        return code == _SQLITE_READONLY
    return "readonly database" in str(exc).lower()


def store_error(exc: sqlite3.Error) -> StoreError:
    """The store's error for a failed operation that is not worth retrying (or no longer)."""
    if is_busy(exc):
        return StoreError("the local store is busy (another tempmail-tui is writing); try again")
    if is_full(exc):
        return StoreFullError()
    if is_read_only(exc):
        return StoreReadOnlyError()
    return StoreError(f"local store error: {exc}")
