"""Searching stored mail: the text a message is indexed by, and the query over the index."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Final

from tempmail_tui.api.models import Message
from tempmail_tui.core.html.text import document_text
from tempmail_tui.core.store.errors import is_busy
from tempmail_tui.core.store.records import MESSAGE_COLUMNS, StoredMessage, message_from_row

#: How much of a message's text goes into the search index.
INDEX_MAX_CHARS: Final = 1_000_000

# The message columns, qualified for the queries below that name the table ``m``.
_COLUMNS: Final = ", ".join(f"m.{c.strip()}" for c in MESSAGE_COLUMNS.split(","))


def index_text(msg: Message) -> str | None:
    """The text to index for a message, or None when its content can be indexed as is."""
    content = msg.content[:INDEX_MAX_CHARS]
    if not msg.is_html:
        return None if len(msg.content) <= INDEX_MAX_CHARS else content
    # The one reader of mail HTML: search finds what the reader, the extractor and the
    # list filter see, and nothing hidden in scripts, styles or comments.
    return document_text(content, is_html=True)


def search_terms(query: str) -> list[str]:
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


def find_messages(
    conn: sqlite3.Connection, query: str, terms: Sequence[str], limit: int, *, fts: bool
) -> list[StoredMessage]:
    """Messages matching all ``terms`` (from ``search_terms(query)``), newest first.

    Without the FTS5 index, or should it reject the query, every word of ``query`` is looked
    for as a substring instead.
    """
    if not fts:
        return [message_from_row(r) for r in _like_rows(conn, query, limit)]
    try:
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM messages AS m WHERE m.rowid IN"
            " (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?)"
            " ORDER BY m.received_at DESC, m.id LIMIT ?",
            (" ".join(terms), limit),
        ).fetchall()
    except sqlite3.OperationalError as exc:
        if is_busy(exc):
            raise
        # Quoting should make this unreachable; a plain scan is the safe answer.
        rows = _like_rows(conn, query, limit)
    return [message_from_row(r) for r in rows]


def _like_rows(conn: sqlite3.Connection, query: str, limit: int) -> list[sqlite3.Row]:
    """Rows whose subject, sender or text contain every word of the query, newest first."""
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
        f"SELECT {_COLUMNS} FROM messages AS m WHERE {clause}"
        " ORDER BY m.received_at DESC, m.id LIMIT ?",
        params,
    ).fetchall()
