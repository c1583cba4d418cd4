"""The mailboxes table: adding, finding, renaming and retiring known boxes over a connection."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Final

from tempmail_tui.api.models import Mailbox
from tempmail_tui.core.store.errors import StoreError
from tempmail_tui.core.store.records import (
    MAILBOX_COLUMNS,
    MailboxState,
    StoredMailbox,
    encode_labels,
    mailbox_from_row,
    to_db,
)

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


def validate_address(email: str) -> str:
    """The address without surrounding space; ``ValueError`` if it cannot be a mailbox's."""
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


def upsert_mailbox(
    conn: sqlite3.Connection, email: str, mb: Mailbox, now: str, *, manual: bool
) -> StoredMailbox:
    """Insert or update the box the API described as ``mb`` under ``email``; it becomes live."""
    _write_mailbox(conn, email, mb, now, manual=manual)
    return get_mailbox(conn, email)


def _write_mailbox(
    conn: sqlite3.Connection, email: str, mb: Mailbox, now: str, *, manual: bool
) -> None:
    conn.execute(
        _UPSERT_MAILBOX,
        (
            email,
            mb.id,
            mb.domain,
            to_db(mb.created_at),
            to_db(mb.expire_at),
            mb.email_token,
            now,
            int(manual),
        ),
    )


def add_manual(conn: sqlite3.Connection, email: str, now: str) -> StoredMailbox:
    """Insert an address typed by the user, or make a known one live again."""
    # An address already known keeps what the API told us about it; it is
    # only made live again, as the user says it exists.
    conn.execute(
        "INSERT INTO mailboxes (email, id, domain, created_at, expire_at, email_token,"
        " added_at, state, renamed_to, manual)"
        " VALUES (?, NULL, ?, NULL, NULL, '', ?, 'live', NULL, 1)"
        " ON CONFLICT (email) DO UPDATE SET state = 'live', renamed_to = NULL",
        (email, email.rpartition("@")[2], now),
    )
    return get_mailbox(conn, email)


def find_mailbox(conn: sqlite3.Connection, email: str) -> StoredMailbox | None:
    """One known mailbox by address (case-insensitive), or None."""
    row = conn.execute(
        f"SELECT {MAILBOX_COLUMNS} FROM mailboxes WHERE email = ?", (email,)
    ).fetchone()
    return None if row is None else mailbox_from_row(row)


def get_mailbox(conn: sqlite3.Connection, email: str) -> StoredMailbox:
    """The mailbox just written under ``email``; ``StoreError`` if it is not there."""
    found = find_mailbox(conn, email)
    if found is None:
        raise StoreError("mailbox vanished while being written")
    return found


def list_mailboxes(conn: sqlite3.Connection, *, include_gone: bool) -> list[StoredMailbox]:
    """Known mailboxes, newest first; ``include_gone=False`` keeps only live ones."""
    where = "" if include_gone else "WHERE state = 'live'"
    rows = conn.execute(
        f"SELECT {MAILBOX_COLUMNS} FROM mailboxes {where} ORDER BY added_at DESC, rowid DESC"
    ).fetchall()
    return [mailbox_from_row(r) for r in rows]


def mark_gone(conn: sqlite3.Connection, email: str, state: MailboxState) -> None:
    """Set a box's gone state and archive its messages."""
    conn.execute("UPDATE mailboxes SET state = ? WHERE email = ?", (state, email))
    conn.execute("UPDATE messages SET archived = 1 WHERE mailbox = ? AND archived = 0", (email,))


def rename(
    conn: sqlite3.Connection, old_email: str, new_email: str, new: Mailbox, now: str
) -> StoredMailbox:
    """Make ``new`` live under ``new_email``, move the old box's messages and point it there."""
    _write_mailbox(conn, new_email, new, now, manual=False)
    if old_email.casefold() != new_email.casefold():
        # The labels say what the box is for: the new address is the same box to the user.
        conn.execute(
            "UPDATE mailboxes SET labels = (SELECT labels FROM mailboxes WHERE email = ?)"
            " WHERE email = ? AND labels = '[]'",
            (old_email, new_email),
        )
        conn.execute("UPDATE messages SET mailbox = ? WHERE mailbox = ?", (new_email, old_email))
        conn.execute(
            "UPDATE mailboxes SET state = 'renamed', renamed_to = ? WHERE email = ?",
            (new_email, old_email),
        )
    return get_mailbox(conn, new_email)


def set_labels(conn: sqlite3.Connection, email: str, labels: Sequence[str]) -> StoredMailbox:
    """Replace a known box's labels; ``StoreError`` if the box is unknown."""
    cursor = conn.execute(
        "UPDATE mailboxes SET labels = ? WHERE email = ?", (encode_labels(labels), email)
    )
    if cursor.rowcount == 0:
        raise StoreError(f"no mailbox {email} is known on this machine")
    return get_mailbox(conn, email)
