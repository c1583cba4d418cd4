"""A store that fills up during a poll: the new mail still shows, and is stored once it fits.

A real SQLITE_FULL comes from ``PRAGMA max_page_count`` on the store's own connection: the
database cannot grow, as on a full disk, without filling the machine's disk.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tempmail_tui.core.store import STORE_FULL_MESSAGE, Store, StoreFullError
from tempmail_tui.sandbox.server import SandboxServer
from tempmail_tui.ui.app import TempMailApp
from tempmail_tui.ui.widgets.quota_bar import QuotaBar

from .app_helpers import make_app, wait_for
from .test_app import SIZE, plain, start_with_box, table
from .test_store_shared import box, message


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A fresh sandbox server (HTTP only)."""
    with SandboxServer(api_key="tmk_test_key_0123456789abcdef", smtp_port=None) as server:
        yield server


def cap_pages(store: Store, pages: int) -> None:
    """Let the store's file grow to ``pages`` pages at most (no lower than it is now)."""
    with store._lock:
        assert store._conn is not None
        store._conn.execute(f"PRAGMA max_page_count = {pages}")


def stored_subjects(path: Path) -> list[str]:
    """The subjects in the store file, read through a connection of its own."""
    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute("SELECT subject FROM messages")]
    finally:
        conn.close()


def toasts(app: TempMailApp) -> list[str]:
    """The text of every notification currently shown."""
    return [str(n.message) for n in app._notifications]


def test_full_store_raises_store_full_error(tmp_path: Path) -> None:
    with Store.open(tmp_path / "store.sqlite3") as store:
        store.add_mailbox(box("a@example.com"))
        cap_pages(store, 1)
        big = replace(message("m1"), content="x" * 50_000)
        with pytest.raises(StoreFullError, match=r"full \(no space left on device\)"):
            store.sync_messages("a@example.com", [big])
        cap_pages(store, 1_000_000)
        assert store.sync_messages("a@example.com", [big]).new == ("m1",)


async def test_new_mail_shows_while_the_store_is_full_and_is_stored_after(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(sandbox, tmp_path, poll_interval=1.0)
    path = tmp_path / "store.sqlite3"
    async with app.run_test(size=SIZE) as pilot:
        email = await start_with_box(app, pilot)
        assert app.store is not None
        cap_pages(app.store.store, 1)  # as full as the file is now
        # Larger than any free page left in the file: storing it needs new pages.
        sandbox.state.deliver(email, subject="arrives on a full disk", text="y" * 60_000)
        await wait_for(pilot, lambda: table(app).row_count == 1, timeout=5, what="shown anyway")
        await wait_for(pilot, lambda: app.main.store_notice is not None, timeout=5, what="notice")
        assert STORE_FULL_MESSAGE in (app.main.store_notice or "").lower()
        assert STORE_FULL_MESSAGE in plain(app.main.query_one(QuotaBar)).lower()
        assert any("full (no space left on device)" in t for t in toasts(app))
        # A local failure: neither a server error nor a protocol error.
        assert not any("protocol" in t.lower() or "server" in t.lower() for t in toasts(app))
        assert app.main.problem is None
        assert stored_subjects(path) == []
        assert [m.subject for m in app.main.messages.values()] == ["arrives on a full disk"]
        assert app.main.unread.get(email) == 1
        await pilot.pause(1.5)  # a later poll keeps showing it, and does not announce it again
        assert table(app).row_count == 1
        assert sum("New mail" in t for t in toasts(app)) == 1

        cap_pages(app.store.store, 1_000_000)  # space is back
        await wait_for(
            pilot,
            lambda: stored_subjects(path) == ["arrives on a full disk"],
            timeout=5,
            what="stored by the next poll",
        )
        await wait_for(pilot, lambda: app.main.store_notice is None, timeout=3, what="cleared")
        assert "full" not in plain(app.main.query_one(QuotaBar)).lower()
        assert any("works again" in t for t in toasts(app))
        assert table(app).row_count == 1
        assert sum("New mail" in t for t in toasts(app)) == 1
