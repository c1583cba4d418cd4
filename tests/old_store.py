"""Stores written by an older tempmail-tui (schema 2), for the upgrade tests."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from tempmail_tui.core.store import schema as store_schema

#: The search index as schema 2 made it: no prefix indexes, no update trigger.
V2_FTS = """
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
"""


def build_v2_store(path: Path, box: str, mails: Sequence[tuple[int, str]]) -> None:
    """A schema-2 store holding one box and its mails, each ``(is_seen, subject)``, in order."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("BEGIN")
        store_schema._migrate_to_v1(conn)
        store_schema._migrate_to_v2(conn)
        for statement in store_schema._split_sql(V2_FTS):
            conn.execute(statement)
        conn.execute(
            "INSERT INTO mailboxes (email, domain, added_at) VALUES (?, ?, ?)",
            (box, box.partition("@")[2], "2026-01-01T00:00:00+00:00"),
        )
        conn.executemany(
            "INSERT INTO messages (id, mailbox, fingerprint, is_seen, received_at, fetched_at,"
            " is_html, from_name, from_email, to_addr, subject, content)"
            " VALUES (?, ?, '', ?, ?, '2026-01-05', 0, 'Sender', 's@example.org', '', ?, 'body')",
            (
                (f"m{n}", box, seen, f"2026-01-01T00:00:{n % 60:02d}.{n:06d}+00:00", subject)
                for n, (seen, subject) in enumerate(mails)
            ),
        )
        conn.execute("PRAGMA user_version = 2")
        conn.execute("COMMIT")
    finally:
        conn.close()
