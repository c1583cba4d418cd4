"""Searching the archive: the user's words over the store's index, and ``label:`` filters."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from tempmail_tui.core.labels import has_label
from tempmail_tui.core.store import SearchHit, Store

#: How many results one search gives at most (the store's own default).
SEARCH_LIMIT: Final = 200
# With a label, the words are searched this far first: the label then narrows the results.
_LABELLED_LIMIT: Final = 10_000
# ``label:NAME`` or ``label:"two words"``, anywhere in the query, any case.
# The reader makes the last word a prefix: a star after a quoted label belongs to the label.
_LABEL_TERM: Final = re.compile(r'(?<!\S)label:(?:"([^"]*)"\*?|(\S+))', re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ArchiveQuery:
    """A query split into its words (for the index) and the labels its boxes must carry."""

    words: str
    labels: tuple[str, ...]


def parse_query(query: str) -> ArchiveQuery:
    """The query's ``label:`` terms taken out; the rest is left to the store's search."""
    labels = tuple(quoted or bare for quoted, bare in _LABEL_TERM.findall(query))
    # The reader makes the last word a prefix ("label:shop*"): a label is matched whole.
    labels = tuple(label.rstrip("*") for label in labels if label.rstrip("*").strip())
    return ArchiveQuery(_LABEL_TERM.sub(" ", query).strip(), labels)


def search_archive(
    store: Store, query: str, limit: int = SEARCH_LIMIT, offset: int = 0
) -> list[SearchHit]:
    """Stored mail matching the query, best first, ``limit`` hits after ``offset`` (store thread).

    Every word must match (as ``Store.search``); each ``label:NAME`` keeps only the mail of
    boxes carrying that label. A query of labels alone lists all the mail of those boxes,
    newest first.
    """
    parsed = parse_query(query)
    if not parsed.labels:
        return store.search(query, limit, offset=offset)
    boxes = [
        box.email
        for box in store.mailboxes()
        if all(has_label(box.labels, label) for label in parsed.labels)
    ]
    if not boxes:
        return []
    if not parsed.words:
        # Labels alone: the boxes' mail, newest first, paged in SQL and read without bodies.
        return store.box_hits(boxes, limit, offset=offset)
    wanted = {email.casefold() for email in boxes}
    found = store.search(parsed.words, _LABELLED_LIMIT)
    kept = [m for m in found if m.mailbox.casefold() in wanted]
    return kept[offset : offset + limit]
