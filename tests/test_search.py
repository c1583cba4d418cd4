"""Archive search in the store: ranking, paging, prefixes, hostile words, no body read, schema 3."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tempmail_tui.core.store import SearchHit, Store
from tempmail_tui.core.store import schema as store_schema
from tempmail_tui.core.store.search import RANK_WINDOW, search_terms

from .old_store import build_v2_store
from .test_store import HOSTILE_QUERIES, T0, make_box, make_msg

BOX = "box@example.com"

#: The search index and its triggers as schema 2 made them (no prefix indexes).


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    # The clock stands a day after the mail, so ages are whole and known.
    with Store.open(tmp_path / "store.sqlite3", clock=lambda: T0 + timedelta(days=1)) as s:
        s.add_mailbox(make_box(BOX))
        yield s


def ids(hits: list[SearchHit]) -> list[str]:
    return [hit.id for hit in hits]


def test_a_subject_match_outranks_a_body_match_and_newer_wins_a_tie(store: Store) -> None:
    store.sync_messages(
        BOX,
        [
            # Oldest first by arrival: the index alone would list them the other way round.
            make_msg("body-old", subject="Hello", content="your parcel is here", seconds=0),
            make_msg("subject", subject="Parcel on its way", content="see inside", seconds=10),
            make_msg("body-new", subject="Hello", content="your parcel is here", seconds=20),
            # bm25 weighs a word by its rarity: in most of the mail, it would weigh nothing.
            *(make_msg(f"other{n}", content="nothing to see", seconds=30 + n) for n in range(20)),
        ],
    )
    assert ids(store.search("parcel")) == ["subject", "body-new", "body-old"]


def test_a_year_old_subject_match_gives_way_to_a_fresh_body_match(store: Store) -> None:
    days = 24 * 3600
    store.sync_messages(
        BOX,
        [
            make_msg("year-old", subject="Invoice", content="x", seconds=-365 * days),
            make_msg("month-old", subject="Invoice", content="x", seconds=-20 * days),
            make_msg("fresh", subject="Hello", content="your invoice", seconds=0),
            *(make_msg(f"other{n}", content="nothing", seconds=n) for n in range(1, 21)),
        ],
    )
    # A subject weighs more than a body: a few weeks do not undo that, a year does.
    assert ids(store.search("invoice")) == ["month-old", "fresh", "year-old"]


def test_pages_cover_every_match_once_in_rank_order(store: Store) -> None:
    store.sync_messages(
        BOX, [make_msg(f"m{n:03d}", subject=f"Note {n}", seconds=n) for n in range(120)]
    )
    whole = ids(store.search("note", limit=500))
    assert len(whole) == 120
    assert whole[:3] == ["m119", "m118", "m117"]  # equal words: newest first
    pages = [ids(store.search("note", limit=50, offset=start)) for start in (0, 50, 100)]
    assert [len(p) for p in pages] == [50, 50, 20]
    assert [i for page in pages for i in page] == whole
    assert store.search("note", limit=10, offset=500) == []


def test_a_word_in_more_mail_than_the_window_ranks_the_newest_then_goes_on(store: Store) -> None:
    count = RANK_WINDOW + 40
    # Every third mail has the word in its subject: ranking differs from arrival order.
    store.sync_messages(
        BOX,
        [
            make_msg(
                f"m{n:04d}",
                subject="Receipt" if n % 3 == 0 else "Hello",
                content="your receipt" if n % 3 else "see above",
                seconds=n,
            )
            for n in range(count)
        ]
        # bm25 weighs a word by its rarity: in half the mail or more it would weigh nothing.
        + [make_msg(f"other{n}", content="nothing", seconds=n) for n in range(2 * count)],
    )
    first = store.search("receipt", limit=5)
    assert ids(first) == [f"m{n:04d}" for n in range(count - 1, 0, -1) if n % 3 == 0][:5]
    # Pages of any size cover every match once: the newest RANK_WINDOW ranked, then the rest
    # by arrival, newest first.
    for size in (50, 70):
        pages = [ids(store.search("receipt", limit=size, offset=o)) for o in range(0, count, size)]
        listed = [i for page in pages for i in page]
        assert len(listed) == len(set(listed)) == count, size
        older = [f"m{n:04d}" for n in range(count - RANK_WINDOW - 1, -1, -1)]
        assert listed[RANK_WINDOW:] == older


def test_prefixes_match_from_two_letters_and_a_single_letter_is_a_word(store: Store) -> None:
    store.sync_messages(
        BOX,
        [
            make_msg("verify", subject="Verification code", content="a b c"),
            make_msg("other", subject="Welcome", content="values", seconds=1),
        ],
    )
    assert ids(store.search("ve*")) == ["verify"]
    assert ids(store.search("ver*")) == ["verify"]
    assert ids(store.search("verif*")) == ["verify"]
    assert sorted(ids(store.search("v*"))) == []  # no word is the letter v
    assert ids(store.search("a*")) == ["verify"]  # the word "a"
    assert search_terms("v* ab*") == ['"v"', '"ab"*']


@pytest.mark.parametrize(
    "query",
    [
        *HOSTILE_QUERIES,
        "NEAR(parcel here)",
        "parcel NEAR here",
        "((parcel",
        "parcel)",
        'pa"rcel',
        '"parcel',
        "parcel OR nothing",
        "NOT parcel",
        "parcel AND",
        "subject:parcel",
        "parcel*here",
        "**",
        "par*cel*",
    ],
)
def test_no_query_is_read_as_search_syntax(store: Store, query: str) -> None:
    store.sync_messages(BOX, [make_msg("m", subject="Parcel", content="here and near")])
    hits = store.search(query)
    assert isinstance(hits, list)
    words = query.split()
    if words and all(w.strip("*").lower() in {"parcel", "near", "here", "and"} for w in words):
        # Operator names are words like any other: "parcel AND" finds the mail with both.
        assert ids(hits) == ["m"]
    if query in ("parcel OR nothing", "NOT parcel"):
        assert hits == []  # "or", "nothing" and "not" are words this mail lacks


def test_searching_reads_no_body(store: Store) -> None:
    """Ranking and listing hits touch the index and the small columns, never a body."""
    store.sync_messages(
        BOX,
        [
            make_msg(f"m{n}", subject=f"Parcel {n}", content=f"parcel body {n}", seconds=n)
            for n in range(30)
        ],
    )
    store.sync_messages(BOX, [make_msg("html", html=True, content="<b>parcel</b>", seconds=99)])
    read: set[str] = set()

    def authorizer(action: int, arg1: str | None, arg2: str | None, *_: object) -> int:
        if action == sqlite3.SQLITE_READ and arg1 == "messages" and arg2:
            read.add(arg2)
        return sqlite3.SQLITE_OK

    conn = store._conn
    assert conn is not None
    conn.set_authorizer(authorizer)
    try:
        hits = store.search("parcel", limit=10)
    finally:
        conn.set_authorizer(None)
    assert len(hits) == 10
    assert read, "the authorizer saw the query"
    assert not read & {"content", "body_text", "attachments"}, read
    assert not hasattr(hits[0], "content")
    assert hits[0].sender == "Example Sender <hello@example.org>"


def test_a_schema_2_store_gains_prefix_indexes_and_keeps_its_mail(tmp_path: Path) -> None:
    path = tmp_path / "v2.sqlite3"
    build_v2_store(path, BOX, [(0, "verification kumquat"), (1, "kumquat"), (0, "x")])

    with Store.open(path) as store:
        assert store.has_fts
        assert ids(store.search("kumquat")) == ["m1", "m0"]
        assert ids(store.search("ve*")) == ["m0"]
        assert store.unread_counts() == {BOX: 2}
        store.delete_message("m0")  # the new triggers keep the index in step
        assert ids(store.search("kumquat")) == ["m1"]
    check = sqlite3.connect(path)
    try:
        assert check.execute("PRAGMA user_version").fetchone()[0] == store_schema.SCHEMA_VERSION
        (sql,) = check.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'messages_fts'"
        ).fetchone()
        assert "prefix" in sql
        assert check.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'messages_unseen'"
        ).fetchone()
    finally:
        check.close()


def test_unread_counts_come_from_the_unseen_index(store: Store) -> None:
    store.add_mailbox(make_box("Other@example.com", id=7))
    store.sync_messages(BOX, [make_msg("a"), make_msg("b", seen=True, seconds=1)])
    # Addresses compare without case, as everywhere in the store.
    store.sync_messages("other@EXAMPLE.com", [make_msg("c", seconds=2), make_msg("d", seconds=3)])
    store.mark_seen("d")
    assert store.unread_counts() == {BOX: 1, "Other@example.com": 1}
    conn = store._conn
    assert conn is not None
    plan = " ".join(
        str(row[-1])
        for row in conn.execute(
            "EXPLAIN QUERY PLAN SELECT count(*) FROM messages INDEXED BY messages_unseen"
            " WHERE mailbox = ? AND is_seen = 0",
            (BOX,),
        )
    )
    assert "COVERING INDEX messages_unseen" in plan, plan
