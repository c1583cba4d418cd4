"""Tests of the local SQLite store and the user directories it lives in."""

from __future__ import annotations

import multiprocessing
import sqlite3
import stat
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tempmail_tui.api.models import Attachment, Mailbox, Message
from tempmail_tui.core import paths
from tempmail_tui.core import store as store_module
from tempmail_tui.core.store import Store, StoreError, SyncResult
from tempmail_tui.core.store import schema as store_schema

T0 = datetime(2026, 6, 28, 10, 57, 25, tzinfo=UTC)
TOKEN = "encrypted-email-token-SECRET"


def make_box(email: str = "box@example.com", *, minutes: int = 10, id: int = 2301) -> Mailbox:
    return Mailbox(
        id=id,
        email=email,
        domain=email.rpartition("@")[2],
        created_at=T0,
        expire_at=T0 + timedelta(minutes=minutes),
        expires_in_seconds=minutes * 60,
        email_token=TOKEN,
    )


def make_msg(
    mid: str,
    *,
    subject: str = "Hello",
    seconds: int = 0,
    seen: bool = False,
    html: bool = False,
    content: str = "plain body",
    from_name: str = "Example Sender",
    from_email: str = "hello@example.org",
    attachments: tuple[Attachment, ...] = (),
) -> Message:
    return Message(
        id=mid,
        subject=subject,
        from_name=from_name,
        from_email=from_email,
        to="box@example.com",
        received_at=T0 + timedelta(seconds=seconds),
        is_seen=seen,
        is_html=html,
        content=content,
        attachments=attachments,
    )


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "store.sqlite3"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    s = Store.open(db_path)
    assert s.fallback_reason is None
    assert s.recovered_from is None
    yield s
    s.close()


# -- paths ------------------------------------------------------------------------------


def test_dirs_follow_xdg_variables_at_call_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "d1"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "c1"))
    assert paths.data_dir() == tmp_path / "d1" / "tempmail-tui"
    assert paths.config_dir() == tmp_path / "c1" / "tempmail-tui"
    assert paths.store_path() == tmp_path / "d1" / "tempmail-tui" / "store.sqlite3"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "d2"))
    assert paths.store_path() == tmp_path / "d2" / "tempmail-tui" / "store.sqlite3"


def test_download_dir_prefers_existing_downloads_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    assert paths.download_dir() == home / ".local" / "share" / "tempmail-tui" / "downloads"
    (home / "Downloads").mkdir()
    assert paths.download_dir() == home / "Downloads" / "tempmail"


# -- mailboxes --------------------------------------------------------------------------


def test_mailbox_round_trip_and_token_never_in_repr(store: Store) -> None:
    stored = store.add_mailbox(make_box())
    assert stored.email == "box@example.com"
    assert stored.id == 2301
    assert stored.domain == "example.com"
    assert stored.created_at == T0
    assert stored.expire_at == T0 + timedelta(minutes=10)
    assert stored.expire_at is not None and stored.expire_at.tzinfo is not None
    assert stored.added_at.utcoffset() == timedelta(0)
    assert stored.email_token == TOKEN
    assert stored.state == "live" and stored.renamed_to is None and not stored.manual
    assert TOKEN not in repr(stored) and TOKEN not in str(stored)
    assert TOKEN not in repr(store.mailboxes())
    assert store.mailboxes() == [stored]
    assert store.mailbox("BOX@example.com") == stored
    assert stored.is_expired(T0 + timedelta(minutes=10))
    assert not stored.is_expired(T0 + timedelta(minutes=9))


def test_mailboxes_newest_first_and_upsert_keeps_one_row(store: Store) -> None:
    store.add_mailbox(make_box("a@example.com"))
    store.add_mailbox(make_box("b@example.com"))
    store.add_mailbox(make_box("c@example.com"))
    assert [b.email for b in store.mailboxes()] == [
        "c@example.com",
        "b@example.com",
        "a@example.com",
    ]
    again = store.add_mailbox(make_box("A@EXAMPLE.COM", minutes=60, id=9))
    assert again.id == 9 and again.expire_at == T0 + timedelta(minutes=60)
    assert len(store.mailboxes()) == 3


def test_naive_datetimes_are_taken_as_utc(store: Store) -> None:
    naive = replace(make_box(), expire_at=datetime(2026, 6, 28, 11, 7, 25))
    stored = store.add_mailbox(naive)
    assert stored.expire_at == datetime(2026, 6, 28, 11, 7, 25, tzinfo=UTC)


def test_manual_address_has_unknown_expiry_and_does_not_clobber_known_box(store: Store) -> None:
    manual = store.add_manual_address("  Someone@Example.net ")
    assert manual.email == "Someone@Example.net"
    assert manual.id is None and manual.expire_at is None and manual.created_at is None
    assert manual.manual and manual.state == "live"
    assert manual.email_token == ""
    assert not manual.is_expired(T0 + timedelta(days=3650))

    store.add_mailbox(make_box())
    store.mark_mailbox_gone("box@example.com")
    again = store.add_manual_address("box@example.com")
    assert again.id == 2301 and again.email_token == TOKEN
    assert again.state == "live"


@pytest.mark.parametrize(
    "bad", ["", "no-at-sign", "@example.com", "user@", "a b@example.com", "x\x1b]52;@e.com"]
)
def test_manual_address_rejects_junk(store: Store, bad: str) -> None:
    with pytest.raises(ValueError):
        store.add_manual_address(bad)
    assert store.mailboxes() == []


# -- messages ---------------------------------------------------------------------------


def test_message_round_trip(store: Store) -> None:
    store.add_mailbox(make_box())
    att = Attachment(name="../evil\u202e.txt", extension="txt", size=91, url="https://x/a")
    msgs = [
        make_msg("m1", subject="first", seconds=1, attachments=(att,)),
        make_msg("m2", subject="second", seconds=2, html=True, content="<p>Hi</p>"),
        make_msg("m0", subject="zero", seconds=0, seen=True),
    ]
    result = store.sync_messages("box@example.com", msgs)
    assert set(result.new) == {"m0", "m1", "m2"} and not result.changed and not result.archived

    listed = store.messages("box@example.com")
    assert [m.id for m in listed] == ["m2", "m1", "m0"]  # newest first
    one = store.message("m1")
    assert one is not None
    assert one.to_message() == msgs[0]
    assert one.attachments == (att,)
    assert one.received_at.tzinfo is not None and one.received_at == T0 + timedelta(seconds=1)
    assert one.mailbox == "box@example.com" and not one.archived
    assert one.fetched_at.utcoffset() == timedelta(0)
    assert store.message("m2") is not None and store.message("m2").is_html  # type: ignore[union-attr]
    assert store.message("m0").is_seen  # type: ignore[union-attr]
    assert store.message("nope") is None


def test_sync_reports_new_changed_archived_and_revived(store: Store) -> None:
    box = "box@example.com"
    store.add_mailbox(make_box())
    a, b, c = make_msg("a", seconds=1), make_msg("b", seconds=2), make_msg("c", seconds=3)
    assert store.sync_messages(box, [a, b]) == SyncResult(new=("a", "b"))
    # Unchanged: nothing to report, and duplicates in the listing are harmless.
    assert not store.sync_messages(box, [a, b, b]).any
    # A new message, an edited one and one no longer listed.
    edited_b = replace(b, content="edited")
    result = store.sync_messages(box, [edited_b, c])
    assert result == SyncResult(new=("c",), changed=("b",), archived=("a",))
    assert store.message("b").content == "edited"  # type: ignore[union-attr]
    archived_a = store.message("a")
    assert archived_a is not None and archived_a.archived and archived_a.content == "plain body"
    # Archived stays archived (not reported again) until it reappears.
    assert not store.sync_messages(box, [edited_b, c]).any
    assert store.sync_messages(box, [a, edited_b, c]) == SyncResult(changed=("a",))
    assert not store.message("a").archived  # type: ignore[union-attr]
    # The server saying "seen" is a change; the server saying "unseen" later is not.
    assert store.sync_messages(box, [replace(a, is_seen=True), edited_b, c]).changed == ("a",)
    assert not store.sync_messages(box, [a, edited_b, c]).any
    assert store.message("a").is_seen  # type: ignore[union-attr]


def test_seen_locally_stays_seen(store: Store) -> None:
    box = "box@example.com"
    store.add_mailbox(make_box())
    msg = make_msg("m", content="body")
    store.sync_messages(box, [msg])
    store.mark_seen("m")
    assert store.message("m").is_seen  # type: ignore[union-attr]
    assert not store.sync_messages(box, [msg]).any
    store.sync_messages(box, [replace(msg, content="changed body")])
    assert store.message("m").is_seen  # type: ignore[union-attr]
    store.upsert_message(box, replace(msg, content="third"))
    stored = store.message("m")
    assert stored is not None and stored.is_seen and stored.content == "third"


def test_upsert_message_revives_archived_copy(store: Store) -> None:
    box = "box@example.com"
    store.add_mailbox(make_box())
    store.sync_messages(box, [make_msg("m")])
    store.sync_messages(box, [])
    assert store.message("m").archived  # type: ignore[union-attr]
    store.upsert_message(box, make_msg("m", seen=True))
    stored = store.message("m")
    assert stored is not None and not stored.archived and stored.is_seen


def test_unknown_mailbox_is_refused(store: Store) -> None:
    with pytest.raises(StoreError):
        store.sync_messages("ghost@example.com", [make_msg("m")])
    with pytest.raises(StoreError):
        store.upsert_message("ghost@example.com", make_msg("m"))
    assert store.message("m") is None


def test_rename_moves_messages_to_new_address(store: Store) -> None:
    old = "old@example.com"
    store.add_mailbox(make_box(old))
    store.sync_messages(old, [make_msg("m1", seconds=1), make_msg("m2", seconds=2)])
    store.mark_seen("m1")
    new = store.rename_mailbox(old, make_box("demo123@example.com", id=2302))
    assert new.email == "demo123@example.com" and new.id == 2302 and new.state == "live"
    assert [m.id for m in store.messages("demo123@example.com")] == ["m2", "m1"]
    assert store.messages(old) == []
    assert store.message("m1").is_seen  # type: ignore[union-attr]
    old_row = store.mailbox(old)
    assert old_row is not None and old_row.state == "renamed"
    assert old_row.renamed_to == "demo123@example.com"
    assert [b.email for b in store.mailboxes(include_gone=False)] == ["demo123@example.com"]
    # Polling the new address does not archive the moved messages.
    result = store.sync_messages(
        "demo123@example.com", [make_msg("m1", seconds=1), make_msg("m2", seconds=2)]
    )
    assert not result.any


def test_gone_box_keeps_messages_readable_as_archived(store: Store) -> None:
    box = "box@example.com"
    store.add_mailbox(make_box())
    store.add_mailbox(make_box("other@example.com"))
    store.sync_messages(box, [make_msg("m1"), make_msg("m2", seconds=5)])
    store.mark_mailbox_gone(box, "expired")
    row = store.mailbox(box)
    assert row is not None and row.state == "expired" and not row.is_live
    kept = store.messages(box)
    assert [m.id for m in kept] == ["m2", "m1"]
    assert all(m.archived and m.content == "plain body" for m in kept)
    assert [b.email for b in store.mailboxes(include_gone=False)] == ["other@example.com"]
    assert len(store.mailboxes()) == 2
    with pytest.raises(ValueError):
        store.mark_mailbox_gone(box, "live")  # type: ignore[arg-type]


def test_delete_message_and_forget_mailbox(store: Store) -> None:
    box = "box@example.com"
    store.add_mailbox(make_box())
    store.sync_messages(box, [make_msg("m1", subject="keepme"), make_msg("m2", subject="dropme")])
    store.delete_message("m2")
    assert [m.id for m in store.messages(box)] == ["m1"]
    assert store.search("dropme") == []
    store.delete_mailbox_local(box)
    assert store.mailboxes() == []
    assert store.message("m1") is None
    assert store.search("keepme") == []
    # Re-adding starts from nothing: the old messages do not come back.
    store.add_mailbox(make_box())
    assert store.messages(box) == []


def test_unread_counts(store: Store) -> None:
    store.add_mailbox(make_box("a@example.com"))
    store.add_mailbox(make_box("b@example.com"))
    store.sync_messages("a@example.com", [make_msg("1"), make_msg("2"), make_msg("3", seen=True)])
    store.mark_seen("2")
    assert store.unread_counts() == {"a@example.com": 1, "b@example.com": 0}


def test_closed_store_raises_store_error(db_path: Path) -> None:
    s = Store.open(db_path)
    s.close()
    s.close()  # closing twice is harmless
    with pytest.raises(StoreError):
        s.mailboxes()


def test_file_is_private_and_wal(db_path: Path, store: Store) -> None:
    store.add_mailbox(make_box())
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == store_module.SCHEMA_VERSION
        # The API key is never a column, and the token is only in its own column.
        columns = {r[1] for r in conn.execute("PRAGMA table_info(mailboxes)")}
        assert not any("key" in c for c in columns)
    finally:
        conn.close()


# -- damage, locking and open ------------------------------------------------------------


def test_garbage_file_is_moved_aside(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"this is not sqlite at all \x00\xff" * 200)
    wal = db_path.with_name(db_path.name + "-wal")
    wal.write_bytes(b"garbage wal")
    s = Store.open(db_path)
    try:
        moved = s.recovered_from
        assert moved is not None
        assert moved.parent == db_path.parent
        assert moved.name.startswith("store.sqlite3.corrupt-")
        stamp = moved.name.removeprefix("store.sqlite3.corrupt-")
        datetime.strptime(stamp, "%Y%m%dT%H%M%S")
        assert moved.read_bytes().startswith(b"this is not sqlite")
        assert moved.with_name(moved.name + "-wal").read_bytes() == b"garbage wal"
        assert s.fallback_reason is None
        s.add_mailbox(make_box())
        assert len(s.mailboxes()) == 1
    finally:
        s.close()
    # The fresh file is fine: the next open recovers nothing.
    again = Store.open(db_path)
    try:
        assert again.recovered_from is None and len(again.mailboxes()) == 1
    finally:
        again.close()


def test_damaged_pages_fail_quick_check_and_are_moved_aside(db_path: Path) -> None:
    s = Store.open(db_path)
    s.add_mailbox(make_box())
    s.sync_messages("box@example.com", [make_msg(f"m{i}", content="x" * 3000) for i in range(50)])
    s.close()
    # Checkpointed into the main file by the last close; now smash pages after the first.
    data = bytearray(db_path.read_bytes())
    assert len(data) > 8 * 4096
    data[2 * 4096 : 6 * 4096] = b"\xa5" * (4 * 4096)
    db_path.write_bytes(bytes(data))
    recovered = Store.open(db_path)
    try:
        assert recovered.recovered_from is not None
        assert recovered.mailboxes() == []
    finally:
        recovered.close()


def test_unusable_location_falls_back_to_memory(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    s = Store.open(blocker / "store.sqlite3")
    try:
        assert s.fallback_reason is not None and s.path is None
        s.add_mailbox(make_box())
        assert len(s.mailboxes()) == 1
    finally:
        s.close()


def test_newer_schema_is_not_treated_as_corrupt(db_path: Path) -> None:
    Store.open(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {store_module.SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    s = Store.open(db_path)
    try:
        assert s.recovered_from is None
        assert s.fallback_reason is not None and "newer" in s.fallback_reason
    finally:
        s.close()
    assert db_path.exists()
    assert not list(db_path.parent.glob("*.corrupt-*"))


def test_lock_held_too_long_raises_store_error(db_path: Path) -> None:
    s = Store.open(db_path, busy_timeout=0.05, lock_retries=1)
    s.add_mailbox(make_box())
    s.sync_messages("box@example.com", [make_msg("m")])
    other = sqlite3.connect(db_path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreError, match="busy"):
            s.mark_seen("m")
        # Readers are not blocked by a writer in WAL mode.
        assert [m.id for m in s.messages("box@example.com")] == ["m"]
        other.execute("ROLLBACK")
        s.mark_seen("m")
        assert s.message("m").is_seen  # type: ignore[union-attr]
    finally:
        other.close()
        s.close()


def test_threads_share_one_store(store: Store) -> None:
    for n in range(4):
        store.add_mailbox(make_box(f"t{n}@example.com"))
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            box = f"t{n}@example.com"
            for i in range(40):
                msgs = [make_msg(f"t{n}-{j}", seconds=j) for j in range(i + 1)]
                store.sync_messages(box, msgs)
                store.mark_seen(f"t{n}-{i}")
                store.unread_counts()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for n in range(4):
        msgs = store.messages(f"t{n}@example.com")
        assert len(msgs) == 40 and all(m.is_seen and not m.archived for m in msgs)


def _process_writer(path: str, worker: int, rounds: int) -> None:
    """One process's share of the concurrency test: its own box, plus a shared one."""
    s = Store.open(Path(path))
    try:
        assert s.fallback_reason is None, s.fallback_reason
        box = f"proc{worker}@example.com"
        s.add_mailbox(make_box(box))
        for i in range(rounds):
            listing = [make_msg(f"p{worker}-{j}", seconds=j) for j in range(i + 1)]
            s.sync_messages(box, listing)
            s.mark_seen(f"p{worker}-{i}")
            s.upsert_message("shared@example.com", make_msg(f"s{worker}-{i}", seconds=i))
    finally:
        s.close()


def test_two_processes_write_concurrently_without_loss(db_path: Path) -> None:
    rounds = 200
    seed = Store.open(db_path)
    seed.add_mailbox(make_box("shared@example.com"))
    seed.close()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_process_writer, args=(str(db_path), n, rounds)) for n in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=90)
    assert [p.exitcode for p in procs] == [0, 0]

    s = Store.open(db_path)
    try:
        for n in range(2):
            msgs = s.messages(f"proc{n}@example.com")
            assert len(msgs) == rounds
            assert all(m.is_seen and not m.archived for m in msgs)
        shared = s.messages("shared@example.com")
        assert {m.id for m in shared} == {f"s{n}-{i}" for n in range(2) for i in range(rounds)}
        assert s.unread_counts()["shared@example.com"] == 2 * rounds
    finally:
        s.close()
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert (
            conn.execute(
                "INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 0)"
            ).fetchall()
            == []
        )
    finally:
        conn.close()


# -- large boxes ------------------------------------------------------------------------


def test_large_sync_then_unchanged_resync(db_path: Path) -> None:
    box = "big@example.com"
    filler = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 35  # ~2 KB
    listing = [
        make_msg(f"big-{i:05d}", subject=f"Newsletter {i}", seconds=i, content=f"{filler} #{i}")
        for i in range(5000)
    ]
    s = Store.open(db_path)
    try:
        s.add_mailbox(make_box(box))
        first = s.sync_messages(box, listing)
        assert len(first.new) == 5000 and not first.changed and not first.archived
        # A fresh copy of the same listing, as the next poll would parse it.
        assert not s.sync_messages(box, [replace(m) for m in listing]).any
        edited = list(listing)
        edited[1234] = replace(edited[1234], subject="Edited")
        assert s.sync_messages(box, edited) == SyncResult(changed=("big-01234",))
    finally:
        s.close()
    # A new instance has no memory of the last listing and must still see no change.
    cold = Store.open(db_path)
    try:
        assert not cold.sync_messages(box, edited).any
        stored = cold.messages(box)
        assert len(stored) == 5000 and stored[0].id == "big-04999"
        assert cold.message("big-01234").subject == "Edited"  # type: ignore[union-attr]
    finally:
        cold.close()


# -- search -----------------------------------------------------------------------------

HOSTILE_QUERIES = [
    '"',
    '""',
    "AND OR",
    "*",
    "NEAR(",
    "NEAR(a b",
    "-",
    "- foo",
    "'",
    ")",
    "(",
    "NOT",
    "subject:",
    "subject:Welcome",
    "^",
    "a*b*",
    "{subject sender}: x",
    "x\x00y",
    "%",
    "_",
    "\\",
    "é" * 5000,
]


def _seed_search(s: Store) -> None:
    s.add_mailbox(make_box("a@example.com"))
    s.add_mailbox(make_box("b@example.com"))
    s.sync_messages(
        "a@example.com",
        [
            make_msg("welcome", subject="Welcome to Temp Mail", seconds=1),
            make_msg(
                "verify",
                subject="Your code",
                from_name="Acme Accounts",
                from_email="no-reply@acme.test",
                html=True,
                content=(
                    "<style>.hidden{color:zebra}</style><div class='promo'>"
                    "Verification code 48213 &amp; more</div><script>var tracker=1</script>"
                ),
                seconds=2,
            ),
        ],
    )
    s.sync_messages(
        "b@example.com",
        [make_msg("other", subject="Invoice 100%_done", content="Total due", seconds=3)],
    )


def _search_ids(s: Store, query: str) -> list[str]:
    return [m.id for m in s.search(query)]


def _check_search(s: Store) -> None:
    assert _search_ids(s, "welcome") == ["welcome"]
    assert _search_ids(s, "WELCOME temp") == ["welcome"]
    assert _search_ids(s, "acme") == ["verify"]  # sender name and address
    assert _search_ids(s, "no-reply") == ["verify"]
    assert _search_ids(s, "48213") == ["verify"]  # HTML body text
    assert _search_ids(s, "verif*") == ["verify"]  # prefix
    assert _search_ids(s, "total") == ["other"]  # plain body, another box
    assert _search_ids(s, "welcome total") == []  # every word must match
    assert _search_ids(s, "") == []
    for query in HOSTILE_QUERIES:
        s.search(query)  # never raises


def test_search_finds_subject_sender_and_body_and_survives_hostile_queries(store: Store) -> None:
    assert store.has_fts
    _seed_search(store)
    _check_search(store)
    # Markup, styles and scripts are not indexed as words.
    assert _search_ids(store, "promo") == []
    assert _search_ids(store, "zebra") == []
    assert _search_ids(store, "tracker") == []
    # Case folding that changes string length does not shift what is hidden.
    store.add_mailbox(make_box("c@example.com"))
    # Words are split where a reader sees a break: scripts and styles are not one, as in a
    # browser, so the words around them carry their own spaces.
    tricky = "İİİ <script>hiddenword</script>visibleword <STYLE x=1>styleword</style > tail"
    store.sync_messages("c@example.com", [make_msg("tricky", html=True, content=tricky)])
    assert _search_ids(store, "visibleword") == ["tricky"]
    assert _search_ids(store, "tail") == ["tricky"]
    assert _search_ids(store, "hiddenword") == _search_ids(store, "styleword") == []
    # The index follows edits.
    store.sync_messages(
        "b@example.com", [make_msg("other", subject="Receipt", content="Paid", seconds=3)]
    )
    assert _search_ids(store, "invoice") == []
    assert _search_ids(store, "receipt paid") == ["other"]
    assert len(store.search("a", limit=1)) <= 1


def test_search_degrades_to_like_without_fts5(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The real build has FTS5; pretend it does not for a fresh file.
    monkeypatch.setattr(store_schema, "fts5_available", lambda conn: False)
    s = Store.open(db_path)
    try:
        assert not s.has_fts
        _seed_search(s)
        _check_search(s)
        # LIKE wildcards in the query are literal characters.
        assert _search_ids(s, "100%_done") == ["other"]
        assert _search_ids(s, "100%x") == []
    finally:
        s.close()
    # Opened later by a build with FTS5, the index is created and filled.
    monkeypatch.undo()
    s = Store.open(db_path)
    try:
        assert s.has_fts
        _check_search(s)
    finally:
        s.close()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=st.text(max_size=40))
def test_no_query_raises(store: Store, query: str) -> None:
    if not store.mailboxes():
        _seed_search(store)
    result = store.search(query)
    assert isinstance(result, list)
