"""Searching stored mail: the text a message is indexed by, and the query over the index."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from tempmail_tui.api.models import Message, display_sender
from tempmail_tui.core.html.text import document_text
from tempmail_tui.core.store.errors import is_busy
from tempmail_tui.core.store.records import from_db, to_db

#: How much of a message's text goes into the search index.
INDEX_MAX_CHARS: Final = 1_000_000

#: How many of the newest matches (by arrival) are ranked; a word in more mails than this
#: finds the newest of them. Ranking all 50,000 mails that hold a common word would take
#: hundreds of milliseconds; the index yields the newest first and stops.
RANK_WINDOW: Final = 500

#: bm25 weights of the indexed columns (subject, sender, body): a word in the subject or the
#: sender says more about a mail than one somewhere in its body.
_WEIGHTS: Final = "4.0, 2.0, 1.0"

#: Days of age that cost one point of bm25: among equally good matches the newest wins, and
#: a much better match may be a few months older.
DAYS_PER_POINT: Final = 30.0

# Only what the results list shows: the body stays in the table until a result is opened.
_HIT_COLUMNS: Final = (
    "m.id, m.mailbox, m.subject, m.from_name, m.from_email, m.received_at, m.is_seen, "
    "m.is_html, m.archived"
)


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One message found by a search: what a list of results shows, without its body."""

    id: str
    mailbox: str
    subject: str
    from_name: str
    from_email: str
    received_at: datetime
    is_seen: bool
    is_html: bool
    archived: bool

    @property
    def sender(self) -> str:
        """The display form of the sender: name and address."""
        return display_sender(self.from_name, self.from_email)


def _hit(row: sqlite3.Row | tuple[Any, ...]) -> SearchHit:
    return SearchHit(
        id=row[0],
        mailbox=row[1],
        subject=row[2],
        from_name=row[3],
        from_email=row[4],
        received_at=from_db(row[5]),
        is_seen=bool(row[6]),
        is_html=bool(row[7]),
        archived=bool(row[8]),
    )


def index_text(msg: Message) -> str | None:
    """The text to index for a message, or None when its content can be indexed as is."""
    content = msg.content[:INDEX_MAX_CHARS]
    if not msg.is_html:
        return None if len(msg.content) <= INDEX_MAX_CHARS else content
    # The one reader of mail HTML: search finds what the reader, the extractor and the
    # list filter see, and nothing hidden in scripts, styles or comments.
    return document_text(content, is_html=True)


def search_terms(query: str) -> list[str]:
    """The user's words, each quoted as an FTS5 string so none is read as query syntax.

    A trailing ``*`` makes a word a prefix; a one-letter prefix is taken as a whole word
    (it would match most of the index and tell the user nothing).
    """
    terms: list[str] = []
    for raw in query.replace("\x00", " ").split():
        word = raw.rstrip("*")
        prefix = raw.endswith("*") and sum(ch.isalnum() for ch in word) >= 2
        # A term with no letters or digits yields no tokens and would match nothing.
        if not any(ch.isalnum() for ch in word):
            continue
        quoted = '"' + word.replace('"', '""') + '"'
        terms.append(quoted + "*" if prefix else quoted)
    return terms


def _like_pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# The newest matches come straight from the index (its rowids follow arrival), are scored
# there (bm25 reads only the index), and only the page asked for is read from the table.
# The newest :window are ranked; a page past them goes on by arrival, so pages never overlap.
_RANKED: Final = f"""
WITH hits AS (
    SELECT rowid AS hit, bm25(messages_fts, {_WEIGHTS}) AS score
    FROM messages_fts WHERE messages_fts MATCH :match
    ORDER BY rowid DESC LIMIT :depth
), placed AS (
    SELECT hit, score, row_number() OVER (ORDER BY hit DESC) > :window AS later FROM hits
)
SELECT {_HIT_COLUMNS} FROM placed JOIN messages AS m ON m.rowid = placed.hit
ORDER BY placed.later,
         CASE WHEN placed.later THEN placed.hit ELSE 0 END DESC,
         placed.score + (julianday(:now) - julianday(m.received_at)) / {DAYS_PER_POINT},
         m.received_at DESC, m.id
LIMIT :limit OFFSET :offset
"""


@dataclass(frozen=True, slots=True)
class Page:
    """Which results to return: ``limit`` of them after the first ``offset``."""

    limit: int
    offset: int = 0


def find_messages(
    conn: sqlite3.Connection,
    query: str,
    terms: Sequence[str],
    page: Page,
    *,
    fts: bool,
    now: datetime,
) -> list[SearchHit]:
    """Messages matching all ``terms`` (from ``search_terms(query)``), best first.

    Best is bm25 (subject and sender weigh more) less a point per ``DAYS_PER_POINT`` of age,
    over the ``RANK_WINDOW`` newest matches; older matches follow, newest first. Without the
    FTS5 index, or should it reject the query, every word of ``query`` is looked for as a
    substring instead, newest first.
    """
    if not fts:
        return [_hit(r) for r in _like_rows(conn, query, page)]
    try:
        rows = conn.execute(
            _RANKED,
            {
                "match": " ".join(terms),
                "window": RANK_WINDOW,
                "depth": max(RANK_WINDOW, page.offset + page.limit),
                "now": to_db(now),
                "limit": page.limit,
                "offset": page.offset,
            },
        ).fetchall()
    except sqlite3.OperationalError as exc:
        if is_busy(exc):
            raise
        # Quoting should make this unreachable; a plain scan is the safe answer.
        rows = _like_rows(conn, query, page)
    return [_hit(r) for r in rows]


def _like_rows(conn: sqlite3.Connection, query: str, page: Page) -> list[sqlite3.Row]:
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
    params.extend([page.limit, page.offset])
    return conn.execute(
        f"SELECT {_HIT_COLUMNS} FROM messages AS m WHERE {clause}"
        " ORDER BY m.received_at DESC, m.id LIMIT ? OFFSET ?",
        params,
    ).fetchall()


def box_hits(conn: sqlite3.Connection, mailboxes: Sequence[str], page: Page) -> list[SearchHit]:
    """The mail of these boxes as hits, newest first, one page of it; no body is read."""
    if not mailboxes:
        return []
    marks = ", ".join("?" * len(mailboxes))
    rows = conn.execute(
        f"SELECT {_HIT_COLUMNS} FROM messages AS m WHERE m.mailbox IN ({marks})"
        " ORDER BY m.received_at DESC, m.id DESC LIMIT ? OFFSET ?",
        [*mailboxes, page.limit, page.offset],
    ).fetchall()
    return [_hit(row) for row in rows]
