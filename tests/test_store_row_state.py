"""A box's row state held between polls is what the file holds, and dropped when it is not."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from tempmail_tui.core.store import Store, mail_rows
from tempmail_tui.core.store.plan import read_stamps

from .test_store_shared import T0, box, message

BOX = "a@example.com"


def on_file(path: Path) -> dict[str, tuple[str, int, int, str]]:
    """The box's row state as another connection reads it from the file."""
    conn = sqlite3.connect(path)
    try:
        return read_stamps(conn, BOX)
    finally:
        conn.close()


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The boxes whose row state a plan read from the file."""
    seen: list[str] = []

    def counted(conn: sqlite3.Connection, mailbox: str) -> dict[str, tuple[str, int, int, str]]:
        seen.append(mailbox)
        return read_stamps(conn, mailbox)

    monkeypatch.setattr(mail_rows, "read_stamps", counted)
    return seen


def sync(store: Store, *messages: object) -> None:
    """A poll as the reader makes it: planned with the box's view, then written."""
    store.apply_sync(store.plan_sync(BOX, list(messages), view=True))  # type: ignore[arg-type]


def test_held_row_state_is_the_files_after_each_write(tmp_path: Path, reads: list[str]) -> None:
    path = tmp_path / "store.sqlite3"
    with Store.open(path) as store:
        store.add_mailbox(box(BOX))
        m1, m2, m3 = message("m1"), message("m2"), message("m3")
        steps = [
            [m1, m2],  # first fill
            [m1, m2, m3],  # new mail
            [replace(m1, is_seen=True), m2, m3],  # seen on the server
            [m1, replace(m2, content="changed"), m3],  # changed content
            [m1, m3],  # m2 gone: archived
            [m1, m3],  # quiet
        ]
        for listing in steps:
            sync(store, *listing)
            assert store._stamps[BOX][2] == on_file(path)
        # Only the first plan read the rows: every later one used the state it was left.
        assert reads == [BOX]


def test_another_connections_write_is_read_again(tmp_path: Path, reads: list[str]) -> None:
    path = tmp_path / "store.sqlite3"
    with Store.open(path) as mine, Store.open(path) as other:
        mine.add_mailbox(box(BOX))
        sync(mine, message("m1"))
        other.sync_messages(BOX, [message("m1"), message("m2")])
        plan = mine.plan_sync(BOX, [message("m1"), message("m2"), message("m3")], view=True)
        assert plan.result.new == ("m3",)
        assert set(plan.stamps) == {"m1", "m2"}


def test_this_stores_own_writes_are_read_again(tmp_path: Path, reads: list[str]) -> None:
    path = tmp_path / "store.sqlite3"
    with Store.open(path) as store:
        store.add_mailbox(box(BOX))
        sync(store, message("m1"), message("m2"))
        store.mark_seen("m1")
        store.delete_message("m2")
        plan = store.plan_sync(BOX, [message("m1")], view=True)
        assert plan.stamps == on_file(path)
        assert plan.stamps["m1"][1] == 1
        assert len(reads) == 2


@pytest.mark.parametrize(
    "order",
    [
        ["m4", "m3", "m2", "m1"],  # newest first, as a listing usually comes
        ["m1", "m2", "m3", "m4"],  # oldest first
        ["m2", "m4", "m1", "m3"],  # shuffled
        ["t2", "t1", "m4", "m3"],  # a tie in arrival, ids the wrong way round
        ["t1", "t2", "m4", "m3"],  # a tie, ids in order
    ],
)
def test_the_planned_box_reads_as_the_store_reads_it(tmp_path: Path, order: list[str]) -> None:
    # The list shows the plan's box before the write: in the store's own order (newest
    # first, then by id), whatever the order of the listing.
    times = {f"m{n}": T0 + timedelta(minutes=n) for n in range(1, 5)}
    times |= {"t1": T0 + timedelta(hours=1), "t2": T0 + timedelta(hours=1)}
    with Store.open(tmp_path / "store.sqlite3") as store:
        store.add_mailbox(box(BOX))
        sync(store, replace(message("old"), received_at=T0 + timedelta(minutes=2, seconds=30)))
        plan = store.plan_sync(
            BOX, [replace(message(mid), received_at=times[mid]) for mid in order], view=True
        )
        assert plan.view is not None
        store.apply_sync(plan)
        # "old" is missing from the listing: archived, and still in its place.
        assert list(plan.view) == [m.id for m in store.summaries(BOX)]
        assert "old" in plan.view
