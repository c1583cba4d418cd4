"""The local SQLite store of known mailboxes and every message ever fetched."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import html
import json
import logging
import os
import re
import sqlite3
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal, TypeVar, cast

from tempmail_tui.api.models import Attachment, Mailbox, Message
from tempmail_tui.errors import LocalError

SCHEMA_VERSION: Final = 1

#: Files above this size skip ``PRAGMA quick_check`` at open, to keep start-up fast.
QUICK_CHECK_MAX_BYTES: Final = 50 * 1024 * 1024

#: How much of a message's text goes into the search index.
INDEX_MAX_CHARS: Final = 1_000_000

#: Mailboxes whose last listing is kept in memory to skip re-hashing unchanged messages.
LISTING_CACHE_BOXES: Final = 128

#: Ids per ``IN (...)`` query (well under SQLite's limit on bound parameters).
_READ_BATCH: Final = 500
#: Mailboxes whose last read is kept to speed up the next one (see ``Store.messages``).
_READ_CACHE_BOXES: Final = 2

#: ``live`` until the server says otherwise; the others are "gone": mail kept, archived.
MailboxState = Literal["live", "expired", "deleted", "renamed"]
_MAILBOX_STATES: Final = ("live", "expired", "deleted", "renamed")
_GONE_STATES: Final = ("expired", "deleted", "renamed")

_T = TypeVar("_T")
# The package's name, as before the split, so log lines and their filters stay the same.
log = logging.getLogger("tempmail_tui.core.store")
# A message row's state besides its fingerprinted content: fingerprint, is_seen, archived,
# fetched_at, mailbox.
_RowStamp = tuple[str, int, int, str, str]

# Primary result codes (the low byte of an extended code).
_SQLITE_BUSY: Final = 5
_SQLITE_LOCKED: Final = 6
_SQLITE_READONLY: Final = 8
_SQLITE_READONLY_DIRECTORY: Final = 8 | (6 << 8)
_SQLITE_CORRUPT: Final = 11
_SQLITE_FULL: Final = 13
_SQLITE_NOTADB: Final = 26
_SQLITE_HEADER: Final = b"SQLite format 3\x00"

#: What a write to a full disk says (the store's own words, never the server's).
STORE_FULL_MESSAGE: Final = "the local store is full (no space left on device)"
#: What a write to a store opened read-only says.
STORE_READ_ONLY_MESSAGE: Final = "the local store is read-only: new mail and boxes are not kept"


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


class _CorruptDatabaseError(Exception):
    """The file at the store path is not a usable SQLite database."""


class _ReadOnlyRequested(Exception):
    """The caller asked for the store to be opened for reading only."""


@dataclass(frozen=True, slots=True)
class StoredMailbox:
    """A mailbox the app knows about, with its local state."""

    email: str
    id: int | None
    domain: str
    created_at: datetime | None
    expire_at: datetime | None
    # Not the API key, but still never displayed or logged.
    email_token: str = field(repr=False)
    added_at: datetime
    state: MailboxState
    renamed_to: str | None
    manual: bool

    @property
    def is_live(self) -> bool:
        """Whether the mailbox has not been deleted or renamed (it may still have expired)."""
        return self.state == "live"

    def is_expired(self, now: datetime | None = None) -> bool:
        """Whether the known expiry has passed; an unknown expiry never counts as expired."""
        if self.expire_at is None:
            return False
        return self.expire_at <= (now or datetime.now(UTC))


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A message as kept locally: the API fields plus where it lives and its local state."""

    id: str
    subject: str
    from_name: str
    from_email: str
    to: str
    received_at: datetime
    is_seen: bool
    is_html: bool
    content: str
    attachments: tuple[Attachment, ...]
    mailbox: str
    fetched_at: datetime
    archived: bool

    @property
    def sender(self) -> str:
        """The display form of the sender: name and address."""
        return self.to_message().sender

    @classmethod
    def from_message(
        cls, msg: Message, mailbox: str, *, fetched_at: datetime, seen: bool | None = None
    ) -> StoredMessage:
        """A message from the server as the store would give it back (not stored)."""
        return cls(
            id=msg.id,
            subject=msg.subject,
            from_name=msg.from_name,
            from_email=msg.from_email,
            to=msg.to,
            received_at=msg.received_at,
            is_seen=msg.is_seen if seen is None else seen,
            is_html=msg.is_html,
            content=msg.content,
            attachments=msg.attachments,
            mailbox=mailbox,
            fetched_at=fetched_at,
            archived=False,
        )

    def to_message(self) -> Message:
        """The same message as an API ``Message`` record."""
        return Message(
            id=self.id,
            subject=self.subject,
            from_name=self.from_name,
            from_email=self.from_email,
            to=self.to,
            received_at=self.received_at,
            is_seen=self.is_seen,
            is_html=self.is_html,
            content=self.content,
            attachments=self.attachments,
        )


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What a sync changed: ids that are new, changed, or no longer on the server."""

    new: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    archived: tuple[str, ...] = ()

    @property
    def any(self) -> bool:
        """Whether anything changed at all."""
        return bool(self.new or self.changed or self.archived)


_SCHEMA_V1: Final = """
CREATE TABLE mailboxes (
    email       TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
    id          INTEGER,
    domain      TEXT NOT NULL,
    created_at  TEXT,
    expire_at   TEXT,
    email_token TEXT NOT NULL DEFAULT '',
    added_at    TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'live'
                CHECK (state IN ('live', 'expired', 'deleted', 'renamed')),
    renamed_to  TEXT,
    manual      INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE messages (
    id          TEXT NOT NULL PRIMARY KEY,
    mailbox     TEXT NOT NULL COLLATE NOCASE
                REFERENCES mailboxes (email) ON DELETE CASCADE,
    -- Small columns first: a sync reads only these, and columns placed after a
    -- large body would be reached through its overflow pages.
    fingerprint TEXT NOT NULL,
    is_seen     INTEGER NOT NULL DEFAULT 0,
    archived    INTEGER NOT NULL DEFAULT 0,
    received_at TEXT NOT NULL,
    fetched_at  TEXT NOT NULL,
    is_html     INTEGER NOT NULL,
    from_name   TEXT NOT NULL,
    from_email  TEXT NOT NULL,
    to_addr     TEXT NOT NULL,
    subject     TEXT NOT NULL,
    attachments TEXT NOT NULL DEFAULT '[]',
    content     TEXT NOT NULL,
    -- The text to index when it differs from content (HTML, or very long); NULL otherwise.
    body_text   TEXT
);
CREATE INDEX messages_by_mailbox ON messages (mailbox, received_at DESC, id);
CREATE INDEX messages_by_date ON messages (received_at DESC, id);
"""

# Contentless: the index holds only tokens and rowids, so the body is not stored twice.
# Deleting from a contentless table needs the values that were indexed, which the
# triggers rebuild from the OLD row with the same expressions.
_FTS_SCHEMA: Final = """
CREATE VIRTUAL TABLE messages_fts USING fts5 (subject, sender, body, content = '');
CREATE TRIGGER messages_fts_ai AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, subject, sender, body)
    VALUES (new.rowid, new.subject, new.from_name || ' ' || new.from_email,
            coalesce(new.body_text, new.content));
END;
CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, subject, sender, body)
    VALUES ('delete', old.rowid, old.subject, old.from_name || ' ' || old.from_email,
            coalesce(old.body_text, old.content));
END;
CREATE TRIGGER messages_fts_au
AFTER UPDATE OF subject, from_name, from_email, content, body_text ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, subject, sender, body)
    VALUES ('delete', old.rowid, old.subject, old.from_name || ' ' || old.from_email,
            coalesce(old.body_text, old.content));
    INSERT INTO messages_fts (rowid, subject, sender, body)
    VALUES (new.rowid, new.subject, new.from_name || ' ' || new.from_email,
            coalesce(new.body_text, new.content));
END;
INSERT INTO messages_fts (rowid, subject, sender, body)
SELECT rowid, subject, from_name || ' ' || from_email, coalesce(body_text, content)
FROM messages;
"""

_MESSAGE_COLUMNS: Final = (
    "id, mailbox, subject, from_name, from_email, to_addr, received_at, is_seen, is_html, "
    "content, attachments, fetched_at, archived"
)
_MAILBOX_COLUMNS: Final = (
    "email, id, domain, created_at, expire_at, email_token, added_at, state, renamed_to, manual"
)

_UPSERT_MESSAGE: Final = """
INSERT INTO messages (id, mailbox, subject, from_name, from_email, to_addr, received_at,
                      is_seen, is_html, content, body_text, attachments, fingerprint,
                      fetched_at, archived)
VALUES (:id, :mailbox, :subject, :from_name, :from_email, :to_addr, :received_at,
        :is_seen, :is_html, :content, :body_text, :attachments, :fingerprint, :fetched_at, 0)
ON CONFLICT (id) DO UPDATE SET
    mailbox = excluded.mailbox,
    subject = excluded.subject,
    from_name = excluded.from_name,
    from_email = excluded.from_email,
    to_addr = excluded.to_addr,
    received_at = excluded.received_at,
    -- Seen is sticky: once seen here or on the server, it stays seen.
    is_seen = max(messages.is_seen, excluded.is_seen),
    is_html = excluded.is_html,
    content = excluded.content,
    body_text = excluded.body_text,
    attachments = excluded.attachments,
    fingerprint = excluded.fingerprint,
    fetched_at = excluded.fetched_at,
    archived = 0
"""

_UPSERT_MAILBOX: Final = """
INSERT INTO mailboxes (email, id, domain, created_at, expire_at, email_token, added_at,
                       state, renamed_to, manual)
VALUES (?, ?, ?, ?, ?, ?, ?, 'live', NULL, ?)
ON CONFLICT (email) DO UPDATE SET
    id = excluded.id,
    domain = excluded.domain,
    created_at = excluded.created_at,
    expire_at = excluded.expire_at,
    email_token = excluded.email_token,
    state = 'live',
    renamed_to = NULL,
    manual = excluded.manual
"""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _to_db(dt: datetime) -> str:
    """A datetime as a fixed-width ISO UTC string, so text order is time order."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).isoformat(timespec="microseconds")


def _from_db(text: str) -> datetime:
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _opt_from_db(text: str | None) -> datetime | None:
    return None if text is None else _from_db(text)


def _encode_attachments(attachments: Sequence[Attachment]) -> str:
    return json.dumps(
        [
            {"name": a.name, "extension": a.extension, "size": a.size, "url": a.url}
            for a in attachments
        ],
        ensure_ascii=False,
    )


def _decode_attachments(raw: str) -> tuple[Attachment, ...]:
    """Attachments back from JSON, skipping anything malformed rather than failing the read."""
    try:
        items = json.loads(raw)
    except ValueError:
        return ()
    if not isinstance(items, list):
        return ()
    out: list[Attachment] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        try:
            out.append(
                Attachment(
                    name=str(item["name"]),
                    extension=str(item["extension"]),
                    size=int(item["size"]),
                    url=str(item["url"]),
                )
            )
        except (KeyError, TypeError, ValueError):
            continue
    return tuple(out)


def _fingerprint(msg: Message) -> str:
    """A digest of everything the server says about a message except ``is_seen``."""
    fields = [
        msg.subject,
        msg.from_name,
        msg.from_email,
        msg.to,
        msg.received_at.isoformat(),
        "html" if msg.is_html else "text",
    ]
    for att in msg.attachments:
        fields += (att.name, att.extension, str(att.size), att.url)
    fields.append(msg.content)
    # The lengths up front keep the concatenation unambiguous; one buffer, one hash
    # call, because a re-sync of a large box hashes every message.
    head = ",".join([str(len(f)) for f in fields])
    data = head + "|" + "".join(fields)
    return hashlib.blake2b(data.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


# What a listed message is remembered by between syncs (see _listing_key).
_ListingKey = tuple[str, str, str, str, datetime, bool, tuple[Attachment, ...], int, int]


def _listing_key(msg: Message) -> _ListingKey:
    """A small stand-in for a listed message: the same key means the same fingerprint.

    It covers what the fingerprint covers; the body is held as its length and Python's
    hash of it, so remembering a large box's listing costs no second copy of every body.
    """
    return (
        msg.subject,
        msg.from_name,
        msg.from_email,
        msg.to,
        msg.received_at,
        msg.is_html,
        msg.attachments,
        len(msg.content),
        hash(msg.content),
    )


# A JSON escape such as \ud800 decodes to a surrogate half, which SQLite cannot store.
_SURROGATE_RE: Final = re.compile("[\ud800-\udfff]")


def _storable(text: str) -> str:
    """Text SQLite can store: a pair written as halves is joined, a lone half becomes U+FFFD."""
    if _SURROGATE_RE.search(text) is None:
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


# Only linear-time patterns: ``[^<>]*`` stops at the next ``<`` so hostile input
# like a megabyte of ``<`` cannot make the substitution quadratic.
_TAG_RE: Final = re.compile(r"<[^<>]*>")
_HIDDEN_BLOCK_RE: Final = re.compile(r"<(script|style)\b", re.IGNORECASE)
_BLOCK_END_RE: Final = {
    name: re.compile(rf"</{name}[^<>]*>?", re.IGNORECASE) for name in ("script", "style")
}


def _index_text(msg: Message) -> str | None:
    """The text to index for a message, or None when its content can be indexed as is."""
    content = msg.content[:INDEX_MAX_CHARS]
    if not msg.is_html:
        return None if len(msg.content) <= INDEX_MAX_CHARS else content
    parts: list[str] = []
    pos = 0
    while True:
        match = _HIDDEN_BLOCK_RE.search(content, pos)
        if match is None:
            parts.append(content[pos:])
            break
        parts.append(content[pos : match.start()])
        # An unclosed script or style hides the rest, as in a browser.
        close = _BLOCK_END_RE[match.group(1).lower()].search(content, match.end())
        if close is None:
            break
        pos = close.end()
    text = _TAG_RE.sub(" ", " ".join(parts))
    return html.unescape(text) if "&" in text else text


def _search_terms(query: str) -> list[str]:
    """The user's words, each quoted as an FTS5 string so none is read as query syntax."""
    terms: list[str] = []
    for raw in query.replace("\x00", " ").split():
        prefix = raw.endswith("*")
        word = raw.rstrip("*")
        # A term with no letters or digits yields no tokens and would match nothing.
        if not any(ch.isalnum() for ch in word):
            continue
        quoted = '"' + word.replace('"', '""') + '"'
        terms.append(quoted + "*" if prefix else quoted)
    return terms


def _like_pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _error_code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def _is_busy(exc: sqlite3.Error) -> bool:
    code = _error_code(exc)
    if code is not None:
        return code in (_SQLITE_BUSY, _SQLITE_LOCKED)
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _is_corruption(exc: sqlite3.Error) -> bool:
    code = _error_code(exc)
    if code is not None:
        return code in (_SQLITE_CORRUPT, _SQLITE_NOTADB)
    text = str(exc).lower()
    return "not a database" in text or "malformed" in text


def _is_full(exc: sqlite3.Error) -> bool:
    code = _error_code(exc)
    if code is not None:
        return code == _SQLITE_FULL
    return "database or disk is full" in str(exc).lower()


def _is_read_only(exc: sqlite3.Error) -> bool:
    code = _error_code(exc)
    if code is not None:
        return code == _SQLITE_READONLY
    return "readonly database" in str(exc).lower()


def _open_failure(exc: BaseException) -> str:
    """Why a store could not be opened for writing, in a few words for the user."""
    if isinstance(exc, OSError):
        if exc.errno == errno.ENOSPC:
            return "no space left on device"
        return exc.strerror or type(exc).__name__
    if isinstance(exc, sqlite3.Error) and _is_full(exc):
        return "no space left on device"
    if isinstance(exc, sqlite3.Error) and _is_read_only(exc):
        # SQLite's own words ("attempt to write a readonly database") do not say where.
        if getattr(exc, "sqlite_errorcode", None) == _SQLITE_READONLY_DIRECTORY:
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
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except sqlite3.OperationalError as exc:
        if _is_read_only(exc):
            return exc
        if not _is_busy(exc):
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
            if version != SCHEMA_VERSION:
                raise StoreError(
                    f"the local store has schema {version}, this tempmail-tui reads "
                    f"{SCHEMA_VERSION}, and it cannot be converted while read-only"
                )
            if path.stat().st_size <= QUICK_CHECK_MAX_BYTES:
                rows = conn.execute("PRAGMA quick_check").fetchall()
                if rows != [("ok",)]:
                    raise _CorruptDatabaseError("; ".join(str(r[0]) for r in rows[:3]))
            fts = _has_table(conn, "messages_fts") and _fts5_available(conn)
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


def _fts5_available(conn: sqlite3.Connection) -> bool:
    """Whether this SQLite build can create FTS5 tables."""
    try:
        conn.execute("CREATE VIRTUAL TABLE temp._fts5_probe USING fts5 (x)")
        conn.execute("DROP TABLE temp._fts5_probe")
    except sqlite3.OperationalError:
        return False
    return True


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone()
    return row is not None


def _migrate_to_v1(conn: sqlite3.Connection) -> None:
    for statement in _split_sql(_SCHEMA_V1):
        conn.execute(statement)


def _split_sql(script: str) -> list[str]:
    """Statements of a script, keeping trigger bodies whole (their ``;`` end in ``END;``)."""
    statements: list[str] = []
    current: list[str] = []
    for line in script.strip().splitlines():
        current.append(line)
        text = "\n".join(current).strip()
        if text.endswith(";") and sqlite3.complete_statement(text):
            statements.append(text)
            current = []
    if "\n".join(current).strip():
        statements.append("\n".join(current))
    return statements


# Index i migrates a database from version i to i + 1.
_MIGRATIONS: Final[tuple[Callable[[sqlite3.Connection], None], ...]] = (_migrate_to_v1,)


def _migrate(conn: sqlite3.Connection) -> None:
    """Bring the schema to ``SCHEMA_VERSION``; safe when another process migrates at once."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"the local store was written by a newer tempmail-tui (schema {version}); "
            "please upgrade"
        )
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Re-read under the write lock: another process may have migrated meanwhile.
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for step in _MIGRATIONS[version:]:
            step(conn)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise


def _ensure_fts(conn: sqlite3.Connection) -> bool:
    """Create the search index if this build supports it; whether searching can use it."""
    if _has_table(conn, "messages_fts"):
        return True
    if not _fts5_available(conn):
        return False
    conn.execute("BEGIN IMMEDIATE")
    try:
        if not _has_table(conn, "messages_fts"):
            for statement in _split_sql(_FTS_SCHEMA):
                conn.execute(statement)
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    return True


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
        _migrate(conn)
        fts = _ensure_fts(conn)
    except sqlite3.DatabaseError as exc:
        conn.close()
        if _is_corruption(exc):
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


def _mailbox_from_row(row: sqlite3.Row | tuple[Any, ...]) -> StoredMailbox:
    state = str(row[7])
    return StoredMailbox(
        email=row[0],
        id=row[1],
        domain=row[2],
        created_at=_opt_from_db(row[3]),
        expire_at=_opt_from_db(row[4]),
        email_token=row[5],
        added_at=_from_db(row[6]),
        state=cast(MailboxState, state if state in _MAILBOX_STATES else "deleted"),
        renamed_to=row[8],
        manual=bool(row[9]),
    )


def _message_from_row(row: sqlite3.Row | tuple[Any, ...]) -> StoredMessage:
    return StoredMessage(
        id=row[0],
        mailbox=row[1],
        subject=row[2],
        from_name=row[3],
        from_email=row[4],
        to=row[5],
        received_at=_from_db(row[6]),
        is_seen=bool(row[7]),
        is_html=bool(row[8]),
        content=row[9],
        attachments=_decode_attachments(row[10]),
        fetched_at=_from_db(row[11]),
        archived=bool(row[12]),
    )


def _validate_address(email: str) -> str:
    email = email.strip()
    local, at, domain = email.rpartition("@")
    if (
        not at
        or not local
        or not domain
        or len(email) > 320
        or any(ch.isspace() or not ch.isprintable() for ch in email)
    ):
        raise ValueError("not a valid e-mail address")
    return email


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
        # The last listing synced per mailbox, with fingerprints: see _fingerprints. Most
        # recently synced last, and bounded: mailboxes come and go over a long session.
        self._last_listing: OrderedDict[str, dict[str, tuple[_ListingKey, str]]] = OrderedDict()
        self._listing_lock = threading.Lock()
        # The messages last read per mailbox, with the row state they were read at: see
        # messages. Most recently used last; a few boxes only (they hold whole bodies).
        self._read_cache: OrderedDict[str, dict[str, tuple[_RowStamp, StoredMessage]]] = (
            OrderedDict()
        )
        #: The database file, or None when running on the in-memory fallback.
        self.path = path
        #: Where a damaged database was moved to at open, for the UI to report.
        self.recovered_from = recovered_from
        #: Why the store runs in memory only (nothing will persist), or None if it does not.
        self.fallback_reason = fallback_reason
        #: Why the file could only be opened for reading (stored mail shown, nothing new
        #: kept), or None when it is writable.
        self.read_only_reason = read_only_reason
        # What PRAGMA data_version said last: it changes when another connection commits.
        self._data_version = self._read_data_version(conn)

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
    ) -> Store:
        """Open (creating or repairing) the store at ``path``; never raises.

        A damaged file is moved aside and ``recovered_from`` names where it went. An
        existing file that cannot be written (read-only file, directory or disk, or
        ``read_only``) is opened for reading and ``read_only_reason`` says why. If the file
        cannot be used at all, the store runs in memory and ``fallback_reason`` says why.
        """
        path = Path(path)
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
                    return cls(
                        conn,
                        path=path,
                        fts=fts,
                        recovered_from=recovered,
                        read_only_reason=why,
                        lock_retries=lock_retries,
                        clock=clock,
                    )
            reason = f"could not open the local store at {path}: {exc}"
            log.warning("%s; running in memory", reason)
            conn = _connect(":memory:", busy_timeout)
            _migrate(conn)
            fts = _ensure_fts(conn)
            return cls(
                conn,
                path=None,
                fts=fts,
                recovered_from=recovered,
                fallback_reason=reason,
                lock_retries=lock_retries,
                clock=clock,
            )
        return cls(
            conn,
            path=path,
            fts=fts,
            recovered_from=recovered,
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

    def _run(self, work: Callable[[sqlite3.Connection], _T], *, write: bool) -> _T:
        """Run ``work`` in one transaction, retrying when the database stays locked."""
        with self._lock:
            conn = self._conn
            if conn is None:
                raise StoreError("the local store is closed")
            attempt = 0
            while True:
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
                    if _is_busy(exc) and attempt < self._lock_retries:
                        attempt += 1
                        time.sleep(0.05 * attempt)
                        continue
                    if _is_busy(exc):
                        raise StoreError(
                            "the local store is busy (another tempmail-tui is writing); try again"
                        ) from exc
                    if _is_full(exc):
                        raise StoreFullError() from exc
                    if _is_read_only(exc):
                        raise StoreReadOnlyError() from exc
                    raise StoreError(f"local store error: {exc}") from exc

    # -- changes made elsewhere ---------------------------------------------------------

    @staticmethod
    def _read_data_version(conn: sqlite3.Connection) -> int | None:
        try:
            return int(conn.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.Error:
            return None

    def changed_elsewhere(self) -> bool:
        """Whether another connection (process) committed since the last call; cheap.

        When it did, the per-box caches are dropped, so the next reads come from the file.
        """
        with self._lock:
            conn = self._conn
            if conn is None:
                raise StoreError("the local store is closed")
            try:
                version = int(conn.execute("PRAGMA data_version").fetchone()[0])
            except sqlite3.Error as exc:
                raise StoreError(f"local store error: {exc}") from exc
            changed = version != self._data_version
            self._data_version = version
            if changed:
                self._read_cache.clear()
                with self._listing_lock:
                    self._last_listing.clear()
            return changed

    # -- mailboxes ----------------------------------------------------------------------

    def add_mailbox(self, mb: Mailbox, *, manual: bool = False) -> StoredMailbox:
        """Remember a mailbox the API returned (insert or update by address); it becomes live."""
        email = _validate_address(mb.email)
        now = _to_db(self._clock())

        def work(conn: sqlite3.Connection) -> StoredMailbox:
            conn.execute(
                _UPSERT_MAILBOX,
                (
                    email,
                    mb.id,
                    mb.domain,
                    _to_db(mb.created_at),
                    _to_db(mb.expire_at),
                    mb.email_token,
                    now,
                    int(manual),
                ),
            )
            return self._get_mailbox(conn, email)

        return self._run(work, write=True)

    def add_manual_address(self, email: str) -> StoredMailbox:
        """Remember an address typed by the user; its id and expiry stay unknown until learnt."""
        email = _validate_address(email)
        domain = email.rpartition("@")[2]
        now = _to_db(self._clock())

        def work(conn: sqlite3.Connection) -> StoredMailbox:
            # An address already known keeps what the API told us about it; it is
            # only made live again, as the user says it exists.
            conn.execute(
                "INSERT INTO mailboxes (email, id, domain, created_at, expire_at, email_token,"
                " added_at, state, renamed_to, manual)"
                " VALUES (?, NULL, ?, NULL, NULL, '', ?, 'live', NULL, 1)"
                " ON CONFLICT (email) DO UPDATE SET state = 'live', renamed_to = NULL",
                (email, domain, now),
            )
            return self._get_mailbox(conn, email)

        return self._run(work, write=True)

    def mailbox(self, email: str) -> StoredMailbox | None:
        """One known mailbox by address (case-insensitive), or None."""

        def work(conn: sqlite3.Connection) -> StoredMailbox | None:
            row = conn.execute(
                f"SELECT {_MAILBOX_COLUMNS} FROM mailboxes WHERE email = ?", (email,)
            ).fetchone()
            return None if row is None else _mailbox_from_row(row)

        return self._run(work, write=False)

    def mailboxes(self, *, include_gone: bool = True) -> list[StoredMailbox]:
        """Known mailboxes, newest first; ``include_gone=False`` keeps only live ones."""
        where = "" if include_gone else "WHERE state = 'live'"

        def work(conn: sqlite3.Connection) -> list[StoredMailbox]:
            rows = conn.execute(
                f"SELECT {_MAILBOX_COLUMNS} FROM mailboxes {where}"
                " ORDER BY added_at DESC, rowid DESC"
            ).fetchall()
            return [_mailbox_from_row(r) for r in rows]

        return self._run(work, write=False)

    def mark_mailbox_gone(
        self, email: str, state: Literal["expired", "deleted", "renamed"] = "deleted"
    ) -> None:
        """Record that the server no longer has this box; its messages stay readable, archived."""
        if state not in _GONE_STATES:
            raise ValueError("state must be 'expired', 'deleted' or 'renamed'")

        def work(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE mailboxes SET state = ? WHERE email = ?", (state, email))
            conn.execute(
                "UPDATE messages SET archived = 1 WHERE mailbox = ? AND archived = 0", (email,)
            )

        self._run(work, write=True)

    def rename_mailbox(self, old_email: str, new: Mailbox) -> StoredMailbox:
        """Record a rename: the new box becomes live, the old one points at it, messages move."""
        new_email = _validate_address(new.email)
        now = _to_db(self._clock())

        self._last_listing.pop(old_email.casefold(), None)

        def work(conn: sqlite3.Connection) -> StoredMailbox:
            conn.execute(
                _UPSERT_MAILBOX,
                (
                    new_email,
                    new.id,
                    new.domain,
                    _to_db(new.created_at),
                    _to_db(new.expire_at),
                    new.email_token,
                    now,
                    0,
                ),
            )
            if old_email.casefold() != new_email.casefold():
                conn.execute(
                    "UPDATE messages SET mailbox = ? WHERE mailbox = ?", (new_email, old_email)
                )
                conn.execute(
                    "UPDATE mailboxes SET state = 'renamed', renamed_to = ? WHERE email = ?",
                    (new_email, old_email),
                )
            return self._get_mailbox(conn, new_email)

        return self._run(work, write=True)

    def delete_mailbox_local(self, email: str) -> None:
        """Forget a mailbox and all its messages (the user's choice)."""
        self._last_listing.pop(email.casefold(), None)
        self._run(
            lambda conn: conn.execute("DELETE FROM mailboxes WHERE email = ?", (email,)),
            write=True,
        )

    @staticmethod
    def _get_mailbox(conn: sqlite3.Connection, email: str) -> StoredMailbox:
        row = conn.execute(
            f"SELECT {_MAILBOX_COLUMNS} FROM mailboxes WHERE email = ?", (email,)
        ).fetchone()
        if row is None:
            raise StoreError("mailbox vanished while being written")
        return _mailbox_from_row(row)

    # -- messages -----------------------------------------------------------------------

    def sync_messages(self, mailbox: str, messages: Sequence[Message]) -> SyncResult:
        """Store a fresh ``GET /messages`` listing; messages missing from it become archived.

        Unchanged messages (same fingerprint, seen state already stored) are not rewritten,
        so re-syncing a large, quiet mailbox costs one indexed read.
        """
        # The server's list may repeat an id; the last copy wins.
        incoming: dict[str, Message] = {}
        for msg in messages:
            incoming[msg.id] = msg
        prints, misses = self._fingerprints(mailbox, incoming)
        now = _to_db(self._clock())
        # Rows to write are prepared before taking the write lock (extracting text to
        # index is the slow part), guessing from the last sync which ones differ.
        params: dict[str, dict[str, object]] = {}
        if misses:
            stored = self._stored_prints(mailbox, misses)
            for mid in misses:
                if stored.get(mid) != prints[mid]:
                    params[mid] = self._message_params(mailbox, incoming[mid], prints[mid], now)

        def row(mid: str) -> dict[str, object]:
            if mid not in params:
                # Another process changed the row since the guess; rare.
                params[mid] = self._message_params(mailbox, incoming[mid], prints[mid], now)
            return params[mid]

        def work(conn: sqlite3.Connection) -> SyncResult:
            if (
                conn.execute("SELECT 1 FROM mailboxes WHERE email = ?", (mailbox,)).fetchone()
                is None
            ):
                raise StoreError("cannot sync messages of an unknown mailbox")
            # Seen and archived stay 0/1 integers: this runs over every row of the box.
            existing: dict[str, tuple[str, int, int]] = {
                mid: (fp, seen, was_archived)
                for mid, fp, seen, was_archived in conn.execute(
                    "SELECT id, fingerprint, is_seen, archived FROM messages"
                    " WHERE mailbox = ? ORDER BY received_at DESC, id",
                    (mailbox,),
                )
            }
            new: list[str] = []
            changed: list[str] = []
            rewrite: list[dict[str, object]] = []
            seen_only: list[tuple[str]] = []
            revive: list[tuple[str]] = []
            for mid, msg in incoming.items():
                old = existing.get(mid)
                if old is None:
                    new.append(mid)
                    rewrite.append(row(mid))
                    continue
                old_print, old_seen, old_archived = old
                if old_print != prints[mid]:
                    changed.append(mid)
                    rewrite.append(row(mid))
                elif (msg.is_seen and not old_seen) or old_archived:
                    changed.append(mid)
                    if msg.is_seen and not old_seen:
                        seen_only.append((mid,))
                    if old_archived:
                        revive.append((mid,))
            archived = [
                mid
                for mid, (_, _, was_archived) in existing.items()
                if mid not in incoming and not was_archived
            ]
            if rewrite:
                conn.executemany(_UPSERT_MESSAGE, rewrite)
            if seen_only:
                conn.executemany("UPDATE messages SET is_seen = 1 WHERE id = ?", seen_only)
            if revive:
                conn.executemany("UPDATE messages SET archived = 0 WHERE id = ?", revive)
            if archived:
                conn.executemany(
                    "UPDATE messages SET archived = 1 WHERE id = ?", [(m,) for m in archived]
                )
            return SyncResult(new=tuple(new), changed=tuple(changed), archived=tuple(archived))

        return self._run(work, write=True)

    def _fingerprints(
        self, mailbox: str, incoming: dict[str, Message]
    ) -> tuple[dict[str, str], list[str]]:
        """Fingerprints of a listing, and the ids not found unchanged in the last listing.

        Hashing every message of a large box on every poll would dominate a quiet re-sync;
        comparing with small keys of the previous listing is much cheaper.
        """
        key = mailbox.casefold()
        with self._listing_lock:
            last = self._last_listing.get(key, {})
        prints: dict[str, str] = {}
        misses: list[str] = []
        listing: dict[str, tuple[_ListingKey, str]] = {}
        for mid, msg in incoming.items():
            hit = last.get(mid)
            seen = _listing_key(msg)
            if hit is not None and hit[0] == seen:
                fp = hit[1]
            else:
                fp = _fingerprint(msg)
                misses.append(mid)
            prints[mid] = fp
            listing[mid] = (seen, fp)
        with self._listing_lock:
            self._last_listing[key] = listing
            self._last_listing.move_to_end(key)
            while len(self._last_listing) > LISTING_CACHE_BOXES:
                self._last_listing.popitem(last=False)
        return prints, misses

    def _stored_prints(self, mailbox: str, ids: Sequence[str]) -> dict[str, str]:
        """Stored fingerprints of these ids in the mailbox (all of them when many are asked)."""

        def work(conn: sqlite3.Connection) -> dict[str, str]:
            if len(ids) > _READ_BATCH:
                rows = conn.execute(
                    "SELECT id, fingerprint FROM messages WHERE mailbox = ?", (mailbox,)
                ).fetchall()
            else:
                # A poll that brings one new mail to a large box should not read every row.
                marks = ", ".join("?" * len(ids))
                rows = conn.execute(
                    f"SELECT id, fingerprint FROM messages WHERE mailbox = ? AND id IN ({marks})",
                    (mailbox, *ids),
                ).fetchall()
            return {str(mid): str(fp) for mid, fp in rows}

        return self._run(work, write=False)

    def upsert_message(self, mailbox: str, msg: Message) -> None:
        """Store one message as read with ``GET /messages/{id}`` (it is live again if archived)."""
        params = self._message_params(mailbox, msg, _fingerprint(msg), _to_db(self._clock()))

        def work(conn: sqlite3.Connection) -> None:
            if (
                conn.execute("SELECT 1 FROM mailboxes WHERE email = ?", (mailbox,)).fetchone()
                is None
            ):
                raise StoreError("cannot store a message of an unknown mailbox")
            conn.execute(_UPSERT_MESSAGE, params)

        self._run(work, write=True)

    @staticmethod
    def _message_params(
        mailbox: str, msg: Message, fingerprint: str, now: str
    ) -> dict[str, object]:
        # Sender-written text may hold surrogate halves, which would fail the whole sync.
        body_text = _index_text(msg)
        return {
            "id": msg.id,
            "mailbox": mailbox,
            "subject": _storable(msg.subject),
            "from_name": _storable(msg.from_name),
            "from_email": _storable(msg.from_email),
            "to_addr": _storable(msg.to),
            "received_at": _to_db(msg.received_at),
            "is_seen": int(msg.is_seen),
            "is_html": int(msg.is_html),
            "content": _storable(msg.content),
            "body_text": None if body_text is None else _storable(body_text),
            "attachments": _storable(_encode_attachments(msg.attachments)),
            "fingerprint": fingerprint,
            "fetched_at": now,
        }

    def messages(self, mailbox: str) -> list[StoredMessage]:
        """A mailbox's messages, archived ones included, newest first.

        A large box is re-read after every poll that changed it, so the rows read last time
        are kept with their state (fingerprint, seen, archived, fetch time, mailbox) and only
        rows whose state differs are read again in full, in the same transaction.
        """
        key = mailbox.casefold()

        def work(conn: sqlite3.Connection) -> list[StoredMessage]:
            known = self._read_cache.get(key, {})
            entries: dict[str, tuple[_RowStamp, StoredMessage]] = {}
            stamps: list[tuple[str, _RowStamp]] = []
            if known:
                stamps = [
                    (mid, (fp, seen, archived, fetched, box))
                    for mid, fp, seen, archived, fetched, box in conn.execute(
                        "SELECT id, fingerprint, is_seen, archived, fetched_at, mailbox"
                        " FROM messages WHERE mailbox = ? ORDER BY received_at DESC, id",
                        (mailbox,),
                    )
                ]
            stale = [
                mid for mid, stamp in stamps if (hit := known.get(mid)) is None or hit[0] != stamp
            ]
            if not known or len(stale) > len(stamps) // 2:
                # Nothing (or little) to reuse: one scan of the box is cheaper than lookups.
                for row in conn.execute(
                    f"SELECT {_MESSAGE_COLUMNS}, fingerprint FROM messages WHERE mailbox = ?"
                    " ORDER BY received_at DESC, id",
                    (mailbox,),
                ):
                    read = _message_from_row(row)
                    entries[read.id] = ((row[13], row[7], row[12], row[11], row[1]), read)
            else:
                fresh: dict[str, StoredMessage] = {}
                for start in range(0, len(stale), _READ_BATCH):
                    batch = stale[start : start + _READ_BATCH]
                    marks = ", ".join("?" * len(batch))
                    for row in conn.execute(
                        f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE id IN ({marks})", batch
                    ):
                        fresh[row[0]] = _message_from_row(row)
                for mid, stamp in stamps:
                    again = fresh.get(mid)
                    entries[mid] = (stamp, again) if again is not None else known[mid]
            self._read_cache[key] = entries
            self._read_cache.move_to_end(key)
            while len(self._read_cache) > _READ_CACHE_BOXES:
                self._read_cache.popitem(last=False)
            return [message for _, message in entries.values()]

        return self._run(work, write=False)

    def message(self, message_id: str) -> StoredMessage | None:
        """One message by id, or None."""

        def work(conn: sqlite3.Connection) -> StoredMessage | None:
            row = conn.execute(
                f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE id = ?", (message_id,)
            ).fetchone()
            return None if row is None else _message_from_row(row)

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

    def unread_counts(self) -> dict[str, int]:
        """Unseen messages per known mailbox (zero included), archived ones counted."""

        def work(conn: sqlite3.Connection) -> dict[str, int]:
            rows = conn.execute(
                "SELECT b.email, count(m.id) FROM mailboxes AS b"
                " LEFT JOIN messages AS m ON m.mailbox = b.email AND m.is_seen = 0"
                " GROUP BY b.email"
            ).fetchall()
            return {str(email): int(count) for email, count in rows}

        return self._run(work, write=False)

    # -- search -------------------------------------------------------------------------

    def search(self, query: str, limit: int = 200) -> list[StoredMessage]:
        """Messages in every box whose subject, sender or text contain all the query's words.

        Words are matched as whole tokens (a trailing ``*`` makes one a prefix); nothing in
        the query is read as search syntax, so no query raises.
        """
        terms = _search_terms(query)
        if not terms:
            return []
        limit = max(1, min(int(limit), 10_000))
        columns = ", ".join(f"m.{c.strip()}" for c in _MESSAGE_COLUMNS.split(","))

        def like(conn: sqlite3.Connection) -> list[sqlite3.Row]:
            words = [w.rstrip("*") for w in query.replace("\x00", " ").split()]
            words = [w for w in words if any(ch.isalnum() for ch in w)]
            clause = " AND ".join(
                "(m.subject LIKE ? ESCAPE '\\' OR m.from_name LIKE ? ESCAPE '\\'"
                " OR m.from_email LIKE ? ESCAPE '\\'"
                " OR coalesce(m.body_text, m.content) LIKE ? ESCAPE '\\')"
                for _ in words
            )
            params: list[object] = []
            for word in words:
                params.extend([_like_pattern(word)] * 4)
            params.append(limit)
            return conn.execute(
                f"SELECT {columns} FROM messages AS m WHERE {clause}"
                " ORDER BY m.received_at DESC, m.id LIMIT ?",
                params,
            ).fetchall()

        def work(conn: sqlite3.Connection) -> list[StoredMessage]:
            if not self._fts:
                return [_message_from_row(r) for r in like(conn)]
            try:
                rows = conn.execute(
                    f"SELECT {columns} FROM messages AS m WHERE m.rowid IN"
                    " (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?)"
                    " ORDER BY m.received_at DESC, m.id LIMIT ?",
                    (" ".join(terms), limit),
                ).fetchall()
            except sqlite3.OperationalError as exc:
                if _is_busy(exc):
                    raise
                # Quoting should make this unreachable; a plain scan is the safe answer.
                rows = like(conn)
            return [_message_from_row(r) for r in rows]

        return self._run(work, write=False)
