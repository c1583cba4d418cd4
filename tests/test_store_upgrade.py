"""The one-off upgrade of an older store: said before it starts, waited for, never half done."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tempmail_tui.cli import main
from tempmail_tui.core import paths
from tempmail_tui.core.store import SCHEMA_VERSION, OpeningNotice, Store
from tempmail_tui.core.store import schema as store_schema
from tempmail_tui.core.store.schema import NOTABLE_MESSAGES
from tempmail_tui.sandbox.server import SandboxServer
from tempmail_tui.ui.widgets.quota_bar import QuotaBar

from .app_helpers import make_app, wait_for
from .old_store import build_v2_store
from .test_app import plain, sidebar

BOX = "box@example.com"
#: Just over the size an upgrade is announced at: a few tenths of a second to upgrade.
MANY = NOTABLE_MESSAGES + 500


def old_store(path: Path, count: int = MANY) -> Path:
    build_v2_store(path, BOX, [(n % 2, f"subject {n}") for n in range(count)])
    return path


def replace_step(
    monkeypatch: pytest.MonkeyPatch, to_version: int, step: Callable[[sqlite3.Connection], None]
) -> None:
    """Make the migration to ``to_version`` run ``step`` instead, for this test."""
    migrations = list(store_schema._MIGRATIONS)
    migrations[to_version - 1] = step
    monkeypatch.setattr(store_schema, "_MIGRATIONS", tuple(migrations))


def file_state(path: Path) -> tuple[int, int, bool]:
    """The file's schema version, its message count, and whether it has the v3 index."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA quick_check").fetchall() == [("ok",)]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        count = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
        unseen = store_schema.has_table(conn, "messages_unseen")
        return version, count, unseen
    finally:
        conn.close()


def test_a_long_upgrade_is_announced_with_its_size_before_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = old_store(tmp_path / "store.sqlite3")
    events: list[str] = []
    rebuild = store_schema._migrate_to_v3

    def v3(conn: sqlite3.Connection) -> None:
        events.append("search index rebuilt")
        rebuild(conn)

    replace_step(monkeypatch, 3, v3)
    caplog.set_level(logging.INFO, logger="tempmail_tui.core.store")

    with Store.open(path, notify=lambda n: events.append(f"{n.kind}: {n.text}")) as store:
        assert store.fallback_reason is None and store.path == path
        assert store.unread_counts() == {BOX: MANY // 2}

    assert events[0] == (
        f"upgrading: Updating the local database for this version (one-off, {MANY:,} messages)…"
    )
    assert events[1] == "search index rebuilt"
    assert events[2].startswith("upgraded: Updated the local database in ")
    assert len(events) == 3
    assert file_state(path) == (SCHEMA_VERSION, MANY, True)
    assert f"from schema 2 to {SCHEMA_VERSION} ({MANY} messages) in" in caplog.text


def test_a_small_upgrade_and_a_new_store_say_nothing(tmp_path: Path) -> None:
    notices: list[OpeningNotice] = []
    path = old_store(tmp_path / "small.sqlite3", count=NOTABLE_MESSAGES)
    with Store.open(path, notify=notices.append) as store:
        assert store.unread_counts() == {BOX: NOTABLE_MESSAGES // 2}
    with Store.open(tmp_path / "new.sqlite3", notify=notices.append):
        pass
    with Store.open(path, notify=notices.append):  # already upgraded
        pass
    assert notices == []
    assert file_state(path)[0] == SCHEMA_VERSION


class SlowUpgrade:
    """A store opened on a thread whose upgrade holds (its write lock too) until released."""

    def __init__(self, path: Path) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.store: Store | None = None
        self._thread = threading.Thread(target=self._open, args=(path,))
        self._thread.start()
        assert self.started.wait(10), "the upgrade started"

    def _open(self, path: Path) -> None:
        def hold(notice: OpeningNotice) -> None:
            if notice.kind == "upgrading":
                self.started.set()
                self.release.wait(20)

        self.store = Store.open(path, notify=hold)

    def finish(self) -> Store:
        self.release.set()
        self._thread.join(20)
        assert self.store is not None
        return self.store


def test_a_second_opener_waits_for_the_upgrade_then_uses_the_file(tmp_path: Path) -> None:
    path = old_store(tmp_path / "store.sqlite3")
    upgrade = SlowUpgrade(path)
    notices: list[OpeningNotice] = []
    # Short timeouts: before, such an opener gave up on the lock in about 0.3 s.
    second: list[Store] = []
    opener = threading.Thread(
        target=lambda: second.append(
            Store.open(path, busy_timeout=0.1, notify=notices.append, migration_wait=20)
        )
    )
    opener.start()
    deadline = time.monotonic() + 5
    while not notices and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.5)  # well past the lock's own wait and busy timeout
    assert [n.kind for n in notices] == ["waiting"]
    assert notices[0].text == (
        "Waiting for another tempmail-tui to finish updating the local database…"
    )
    assert opener.is_alive(), "the second opener still waits"
    first = upgrade.finish()
    opener.join(10)
    (store,) = second
    try:
        assert store.path == path
        assert store.fallback_reason is None and store.read_only_reason is None
        assert [n.kind for n in notices] == ["waiting", "waited"]
        assert store.unread_counts() == {BOX: MANY // 2}
        assert len(store.search("subject", limit=5)) == 5
    finally:
        store.close()
        first.close()


def test_a_second_opener_falls_back_to_memory_when_the_wait_runs_out(tmp_path: Path) -> None:
    path = old_store(tmp_path / "store.sqlite3")
    upgrade = SlowUpgrade(path)
    notices: list[OpeningNotice] = []
    try:
        store = Store.open(path, busy_timeout=0.1, notify=notices.append, migration_wait=0.3)
    finally:
        upgrade.finish().close()
    try:
        assert [n.kind for n in notices] == ["waiting"]
        assert store.path is None
        assert store.fallback_reason is not None
        assert store.fallback_reason.startswith(f"could not open the local store at {path}")
    finally:
        store.close()


def test_a_failed_upgrade_leaves_the_old_store_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = old_store(tmp_path / "store.sqlite3")

    v4 = store_schema._migrate_to_v4

    def broken_v4(conn: sqlite3.Connection) -> None:
        # The file's upgrade fails; the in-memory store that takes over is made whole.
        if conn.execute("PRAGMA database_list").fetchone()[2]:
            raise sqlite3.OperationalError("disk I/O error")
        v4(conn)

    replace_step(monkeypatch, 4, broken_v4)
    with Store.open(path) as store:
        assert store.path is None  # the old schema cannot be read by this version
    # The v3 step ran before the failure, and none of it stayed.
    assert file_state(path) == (2, MANY, False)
    assert path.with_name(path.name + ".lock").read_bytes() == b""
    monkeypatch.undo()
    with Store.open(path) as store:
        assert store.path == path and store.unread_counts() == {BOX: MANY // 2}


KILLED_MID_UPGRADE = """
import os, signal, sys
from pathlib import Path
from tempmail_tui.core.store import Store
from tempmail_tui.core.store import schema

def killed(conn):
    os.kill(os.getpid(), signal.SIGKILL)

schema._MIGRATIONS = schema._MIGRATIONS[:3] + (killed,)
Store.open(Path(sys.argv[1]))
"""


def test_an_upgrade_killed_midway_leaves_the_old_store_readable(tmp_path: Path) -> None:
    path = old_store(tmp_path / "store.sqlite3")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", KILLED_MID_UPGRADE, str(path)], env=env, timeout=60, check=False
    )
    assert done.returncode == -signal.SIGKILL
    assert file_state(path) == (2, MANY, False)
    notices: list[OpeningNotice] = []
    with Store.open(path, notify=notices.append, busy_timeout=0.5, migration_wait=1) as store:
        # The dead process's mark in the lock file does not make this one wait.
        assert [n.kind for n in notices] == ["upgrading", "upgraded"]
        assert store.path == path and store.unread_counts() == {BOX: MANY // 2}


def test_the_cli_says_the_upgrade_on_stderr_before_its_output(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = paths.store_path()
    path.parent.mkdir(parents=True)
    old_store(path)
    assert main(["boxes"]) == 0
    captured = capsys.readouterr()
    assert captured.err == (
        "tempmail-tui: Updating the local database for this version "
        f"(one-off, {MANY:,} messages)…\n"
    )
    assert BOX in captured.out


async def test_the_reader_shows_the_upgrade_on_its_status_line_until_it_ends(
    restartable_sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(restartable_sandbox, tmp_path)
    assert app.store_path is not None
    old_store(app.store_path)
    release = threading.Event()
    rebuild = store_schema._migrate_to_v3

    def held_v3(conn: sqlite3.Connection) -> None:
        release.wait(10)  # the upgrade lasts until the test has seen what the reader shows
        rebuild(conn)

    replace_step(monkeypatch, 3, held_v3)
    text = f"Updating the local database for this version (one-off, {MANY:,} messages)…"
    async with app.run_test(size=(100, 30)) as pilot:
        try:
            await wait_for(pilot, lambda: app.main.store_notice == text, what="upgrade notice")
            assert text in plain(app.main.query_one(QuotaBar))
            assert text in [str(n.message) for n in app._notifications]
            assert app.store is None
        finally:
            release.set()
        await wait_for(pilot, lambda: sidebar(app).option_count == 1, what="the stored box")
        assert app.main.store_notice is None
        shown = [str(n.message) for n in app._notifications]
        assert any(m.startswith("Updated the local database in ") for m in shown), shown
