"""Keeping a mailbox's rows in step with the server's listing, and reading them back cheaply.

A large, quiet box is listed every few seconds; everything here exists so that such a poll
rewrites and re-reads only the messages that changed.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Mapping
from typing import Final

from tempmail_tui.api.listed import ListedMessage
from tempmail_tui.api.models import Message
from tempmail_tui.core.store.errors import StoreError
from tempmail_tui.core.store.records import (
    SUMMARY_COLUMNS,
    MessageSummary,
    SharedValues,
    SyncResult,
    encode_attachments,
    storable,
    summary_from_row,
    to_db,
)
from tempmail_tui.core.store.search import index_text

#: Ids per ``IN (...)`` query (well under SQLite's limit on bound parameters).
READ_BATCH: Final = 500

#: A message row's state besides its fingerprinted content: fingerprint, is_seen, archived,
#: fetched_at, mailbox.
RowStamp = tuple[str, int, int, str, str]

#: What a listed message is remembered by between syncs (see ``_listing_key``).
ListingKey = int

#: One message row as ``message_params`` gives it, in the order of the upsert's ``?``s.
RowParams = tuple[object, ...]

# Positional parameters: a first fill writes thousands of rows at once, and a tuple per row
# is a quarter of the memory of a dict of named ones.
_UPSERT_MESSAGE: Final = """
INSERT INTO messages (id, mailbox, subject, from_name, from_email, to_addr, received_at,
                      is_seen, is_html, content, body_text, attachments, fingerprint,
                      fetched_at, archived)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
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


def fingerprint(msg: Message) -> str:
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


def _listing_key(msg: ListedMessage) -> ListingKey:
    """A small stand-in for a listed message: the same key means the same fingerprint.

    It covers what the fingerprint covers, as one hash, its body undecoded: remembering a
    large box's listing costs neither a second copy of every body nor the listing's other
    strings, and telling it again decodes none of them.
    """
    return hash(
        (
            msg.subject,
            msg.from_name,
            msg.from_email,
            msg.to,
            msg.received_at,
            msg.is_html,
            msg.attachments,
            msg.body_key(),
        )
    )


def listing_fingerprints(
    last: dict[str, tuple[ListingKey, str]],
    incoming: dict[str, ListedMessage],
    keyed: Mapping[str, tuple[ListingKey, str]],
) -> tuple[dict[str, str], dict[str, tuple[ListingKey, str]]]:
    """Fingerprints of a listing (reusing ``last``'s for unchanged messages) and the new listing.

    Hashing every message of a large box on every poll would dominate a quiet re-sync;
    comparing with small keys of the previous listing is much cheaper. Only the messages
    fingerprinted have their bodies decoded, one at a time. ``keyed``: messages of this
    same listing keyed already (a plan's, written now), taken as they are.
    """
    prints: dict[str, str] = {}
    listing: dict[str, tuple[ListingKey, str]] = {}
    for mid, msg in incoming.items():
        done = keyed.get(mid)
        if done is not None:
            prints[mid] = done[1]
            listing[mid] = done
            continue
        hit = last.get(mid)
        seen = _listing_key(msg)
        fp = hit[1] if hit is not None and hit[0] == seen else fingerprint(msg.message())
        prints[mid] = fp
        listing[mid] = (seen, fp)
    return prints, listing


#: The attachments column of a message with none (most): one string for every such row.
_NO_ATTACHMENTS: Final = encode_attachments(())
#: Where the body is in a row's parameters (see ``message_params``).
_BODY: Final = 9


def message_params(mailbox: str, msg: Message, digest: str, now: str) -> RowParams:
    """The parameters that write ``msg`` as a row of ``mailbox``, with its ``digest``."""
    # Sender-written text may hold surrogate halves, which would fail the whole sync.
    body_text = index_text(msg)
    return (
        msg.id,
        mailbox,
        storable(msg.subject),
        storable(msg.from_name),
        storable(msg.from_email),
        storable(msg.to),
        to_db(msg.received_at),
        int(msg.is_seen),
        int(msg.is_html),
        storable(msg.content),
        None if body_text is None else storable(body_text),
        _NO_ATTACHMENTS if not msg.attachments else storable(encode_attachments(msg.attachments)),
        digest,
        now,
    )


def bodiless_params(mailbox: str, msg: ListedMessage, digest: str, now: str) -> RowParams:
    """``message_params`` of a listed message less its body (``with_body`` puts it back).

    A first fill prepares its rows before the write takes the lock; with their bodies, the
    rows of a 5,000-mail box held the text of every mail at once.
    """
    params = message_params(mailbox, msg.message(), digest, now)
    return (*params[:_BODY], None, *params[_BODY + 1 :])


def with_body(params: RowParams, msg: ListedMessage) -> RowParams:
    """Parameters from ``bodiless_params`` with the body decoded again, as the row is written."""
    return (*params[:_BODY], storable(msg.content()), *params[_BODY + 1 :])


def _require_mailbox(conn: sqlite3.Connection, mailbox: str, refusal: str) -> None:
    if conn.execute("SELECT 1 FROM mailboxes WHERE email = ?", (mailbox,)).fetchone() is None:
        raise StoreError(refusal)


def write_listing(
    conn: sqlite3.Connection,
    mailbox: str,
    incoming: dict[str, ListedMessage],
    prints: dict[str, str],
    row: Callable[[str], RowParams],
) -> SyncResult:
    """Write what differs between a listing and the stored box; ``row`` gives a row to write.

    Messages missing from the listing become archived; unchanged ones are not touched. The
    rows are asked for as they are written, so one decoded body at a time is alive.
    """
    _require_mailbox(conn, mailbox, "cannot sync messages of an unknown mailbox")
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
    rewrite: list[str] = []
    seen_only: list[tuple[str]] = []
    revive: list[tuple[str]] = []
    for mid, msg in incoming.items():
        old = existing.get(mid)
        if old is None:
            new.append(mid)
            rewrite.append(mid)
            continue
        old_print, old_seen, old_archived = old
        if old_print != prints[mid]:
            changed.append(mid)
            rewrite.append(mid)
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
        conn.executemany(_UPSERT_MESSAGE, (row(mid) for mid in rewrite))
    if seen_only:
        conn.executemany("UPDATE messages SET is_seen = 1 WHERE id = ?", seen_only)
    if revive:
        conn.executemany("UPDATE messages SET archived = 0 WHERE id = ?", revive)
    if archived:
        conn.executemany("UPDATE messages SET archived = 1 WHERE id = ?", [(m,) for m in archived])
    return SyncResult(new=tuple(new), changed=tuple(changed), archived=tuple(archived))


def write_message(conn: sqlite3.Connection, mailbox: str, params: RowParams) -> None:
    """Write one message's row (from ``message_params``); it is live again if archived."""
    _require_mailbox(conn, mailbox, "cannot store a message of an unknown mailbox")
    conn.execute(_UPSERT_MESSAGE, params)


def read_box(
    conn: sqlite3.Connection, mailbox: str, known: dict[str, tuple[RowStamp, MessageSummary]]
) -> dict[str, tuple[RowStamp, MessageSummary]]:
    """A mailbox's messages (no bodies) with their row state, newest first, reusing ``known``.

    Only rows whose state (fingerprint, seen, archived, fetch time, mailbox) differs from
    the one ``known`` was read at are read again in full.
    """
    entries: dict[str, tuple[RowStamp, MessageSummary]] = {}
    stamps: list[tuple[str, RowStamp]] = []
    shared = SharedValues()
    text = shared.text
    if known:
        stamps = [
            (mid, (fp, seen, archived, text(fetched), text(box)))
            for mid, fp, seen, archived, fetched, box in conn.execute(
                "SELECT id, fingerprint, is_seen, archived, fetched_at, mailbox"
                " FROM messages WHERE mailbox = ? ORDER BY received_at DESC, id",
                (mailbox,),
            )
        ]
    stale = [mid for mid, stamp in stamps if (hit := known.get(mid)) is None or hit[0] != stamp]
    if not known or len(stale) > len(stamps) // 2:
        # Nothing (or little) to reuse: one scan of the box is cheaper than lookups.
        for row in conn.execute(
            f"SELECT {SUMMARY_COLUMNS}, fingerprint FROM messages WHERE mailbox = ?"
            " ORDER BY received_at DESC, id",
            (mailbox,),
        ):
            read = summary_from_row(row, shared)
            entries[read.id] = ((row[12], row[7], row[11], text(row[10]), read.mailbox), read)
        return entries
    fresh: dict[str, MessageSummary] = {}
    for start in range(0, len(stale), READ_BATCH):
        batch = stale[start : start + READ_BATCH]
        marks = ", ".join("?" * len(batch))
        for row in conn.execute(
            f"SELECT {SUMMARY_COLUMNS} FROM messages WHERE id IN ({marks})", batch
        ):
            fresh[row[0]] = summary_from_row(row, shared)
    for mid, stamp in stamps:
        again = fresh.get(mid)
        entries[mid] = (stamp, again) if again is not None else known[mid]
    return entries
