"""The store's tables, their migrations, and the full-text search index when SQLite has FTS5."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from tempmail_tui.core.store.errors import StoreError

#: The version this code reads and writes (``PRAGMA user_version``).
SCHEMA_VERSION: Final = 4

#: Upgrades over more messages than this are announced before they start: rebuilding the
#: search index takes about a second per 4,000 messages, below that it passes unnoticed.
NOTABLE_MESSAGES: Final = 2_000


@dataclass(frozen=True, slots=True)
class Upgrade:
    """A migration about to run: the version it starts from and the messages it goes over."""

    from_version: int
    messages: int

    @property
    def notable(self) -> bool:
        """Whether it may take long enough that the user should be told first."""
        return self.messages > NOTABLE_MESSAGES


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
# triggers rebuild from the OLD row with the same expressions. The prefix indexes answer
# the two- and three-letter prefixes of search-as-you-type without merging the lists of
# every word that starts with them (about 2.5 times the index's size, still a fraction
# of the bodies'). Searching ranks by rowid order (arrival) first: see core/store/search.py.
_FTS_SCHEMA: Final = """
CREATE VIRTUAL TABLE messages_fts USING fts5 (
    subject, sender, body, content = '', prefix = '2 3'
);
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


def fts5_available(conn: sqlite3.Connection) -> bool:
    """Whether this SQLite build can create FTS5 tables."""
    try:
        conn.execute("CREATE VIRTUAL TABLE temp._fts5_probe USING fts5 (x)")
        conn.execute("DROP TABLE temp._fts5_probe")
    except sqlite3.OperationalError:
        return False
    return True


def has_table(conn: sqlite3.Connection, name: str) -> bool:
    """Whether the database has a table (or index, view, trigger) of this name."""
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


def _migrate_to_v2(conn: sqlite3.Connection) -> None:
    # Labels: what a box was for, a JSON list of strings (see core/labels.py).
    conn.execute("ALTER TABLE mailboxes ADD COLUMN labels TEXT NOT NULL DEFAULT '[]'")


def _migrate_to_v3(conn: sqlite3.Connection) -> None:
    # Unread counts per box at start-up read this small index alone (is_seen in it makes it
    # covering), not 50,000 message rows.
    conn.execute("CREATE INDEX messages_unseen ON messages (mailbox, is_seen) WHERE is_seen = 0")
    # The search index gains prefix indexes: FTS5 cannot add them to a table, so it is
    # built again from the stored text (about 15 s for 50,000 mails, once). Without FTS5
    # here the old table stays; a build with FTS5 reads it as before.
    if has_table(conn, "messages_fts") and fts5_available(conn):
        for trigger in ("messages_fts_ai", "messages_fts_ad", "messages_fts_au"):
            conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        conn.execute("DROP TABLE messages_fts")
        for statement in _split_sql(_FTS_SCHEMA):
            conn.execute(statement)


_SCHEMA_V4: Final = """
CREATE TABLE pollers (
    id          TEXT NOT NULL PRIMARY KEY,
    kind        TEXT NOT NULL,
    host        TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    beat_at     TEXT NOT NULL,
    beat_every  REAL NOT NULL,
    projected   INTEGER NOT NULL,
    requests    INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE mail_version (
    id          INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    version     INTEGER NOT NULL
);
INSERT INTO mail_version (id, version) VALUES (1, 0);
"""

#: Boxes and messages bump ``mail_version``; heartbeats do not, so a reader can tell a
#: change to the mail from a poller's heartbeat (both change ``PRAGMA data_version``).
_MAIL_VERSION_TRIGGER: Final = """
CREATE TRIGGER {table}_{event}_version AFTER {event} ON {table} BEGIN
    UPDATE mail_version SET version = version + 1 WHERE id = 1;
END;
"""


def _migrate_to_v4(conn: sqlite3.Connection) -> None:
    """The pollers sharing the quota (one row per polling process, kept by its heartbeat),
    and the version of the mail that tells their heartbeats from changes to the mail."""
    for statement in _split_sql(_SCHEMA_V4):
        conn.execute(statement)
    for table in ("mailboxes", "messages"):
        for event in ("INSERT", "UPDATE", "DELETE"):
            conn.execute(_MAIL_VERSION_TRIGGER.format(table=table, event=event).strip())


# Index i migrates a database from version i to i + 1.
_MIGRATIONS: Final[tuple[Callable[[sqlite3.Connection], None], ...]] = (
    _migrate_to_v1,
    _migrate_to_v2,
    _migrate_to_v3,
    _migrate_to_v4,
)


def pending_upgrade(conn: sqlite3.Connection) -> Upgrade | None:
    """The migration this database needs (None when it is at ``SCHEMA_VERSION``)."""
    version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return None
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"the local store was written by a newer tempmail-tui (schema {version}); "
            "please upgrade"
        )
    # Counting walks the smallest index: a few milliseconds for 50,000 messages.
    messages = conn.execute("SELECT count(*) FROM messages").fetchone()[0] if version else 0
    return Upgrade(version, messages)


def migrate(
    conn: sqlite3.Connection, on_start: Callable[[Upgrade], None] | None = None
) -> Upgrade | None:
    """Bring the schema to ``SCHEMA_VERSION``; safe when another process migrates at once.

    ``on_start`` hears of the migration under the write lock, before any of its work; the
    migration is one transaction, so an interrupted one leaves the old version whole.
    Returns the migration done, or None when there was none.
    """
    if pending_upgrade(conn) is None:
        return None
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Re-read under the write lock: another process may have migrated meanwhile.
        upgrade = pending_upgrade(conn)
        if upgrade is not None:
            if on_start is not None:
                on_start(upgrade)
            for step in _MIGRATIONS[upgrade.from_version :]:
                step(conn)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    return upgrade


def ensure_fts(conn: sqlite3.Connection) -> bool:
    """Create the search index if this build supports it; whether searching can use it."""
    if has_table(conn, "messages_fts"):
        return True
    if not fts5_available(conn):
        return False
    conn.execute("BEGIN IMMEDIATE")
    try:
        if not has_table(conn, "messages_fts"):
            for statement in _split_sql(_FTS_SCHEMA):
                conn.execute(statement)
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    return True
