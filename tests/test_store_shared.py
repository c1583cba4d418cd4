"""One store, many writers: a running reader sees what the CLI or another reader stores."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tempmail_tui.api.models import Mailbox, Message
from tempmail_tui.cli import main
from tempmail_tui.core import paths
from tempmail_tui.core.store import PollerBeat, Store
from tempmail_tui.sandbox.server import SandboxServer
from tempmail_tui.ui.app import TempMailApp

from .app_helpers import make_app, wait_for
from .test_app import SIZE, sidebar, start_with_box, table

T0 = datetime(2026, 6, 28, 10, 0, tzinfo=UTC)


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A fresh sandbox server (HTTP only)."""
    with SandboxServer(api_key="tmk_test_key_0123456789abcdef", smtp_port=None) as server:
        yield server


@pytest.fixture
def cli_env(sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Point the scripting commands at the sandbox; they use the reader's store (XDG)."""
    monkeypatch.setenv("TEMPMAIL_BASE_URL", sandbox.base_url)
    monkeypatch.setenv("TEMPMAIL_API_KEY", sandbox.api_key)
    monkeypatch.setenv("TEMPMAIL_DOWNLOAD_DIR", str(tmp_path / "downloads"))


def reader(sandbox: SandboxServer, tmp_path: Path, *, poll_interval: float) -> TempMailApp:
    """The real app on the same store file the scripting commands use."""
    app = make_app(sandbox, tmp_path, poll_interval=poll_interval, background_interval=60.0)
    app.store_path = paths.store_path()
    return app


async def cli(*argv: str) -> int:
    """Run `tempmail-tui ARGV` in-process, off the app's loop: its own Store, its own connection."""
    return await asyncio.to_thread(main, list(argv))


def box(email: str) -> Mailbox:
    return Mailbox(
        id=1,
        email=email,
        domain=email.rpartition("@")[2],
        created_at=T0,
        expire_at=T0 + timedelta(days=1),
        expires_in_seconds=86400,
        email_token="token",
    )


def message(mid: str) -> Message:
    return Message(
        id=mid,
        subject="Hello",
        from_name="Sender",
        from_email="s@example.org",
        to="a@example.com",
        received_at=T0,
        is_seen=False,
        is_html=False,
        content="body",
        attachments=(),
    )


def test_changed_elsewhere_sees_other_connections_only(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    with Store.open(path) as mine, Store.open(path) as other:
        assert not mine.changed_elsewhere()
        mine.add_mailbox(box("a@example.com"))
        mine.sync_messages("a@example.com", [message("m1")])
        assert not mine.changed_elsewhere()  # its own writes are not news
        assert other.changed_elsewhere()
        other.sync_messages("a@example.com", [message("m1"), message("m2")])
        assert mine.changed_elsewhere()
        assert not mine.changed_elsewhere()  # told once
        assert [m.id for m in mine.messages("a@example.com")] == ["m1", "m2"]


def test_another_pollers_heartbeat_is_not_a_change_to_the_mail(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    with Store.open(path) as mine, Store.open(path) as other:
        other.add_mailbox(box("a@example.com"))
        assert mine.changed_elsewhere()
        other.beat_poller(PollerBeat("w", "wait", 1.0, 10, 0))
        assert not mine.changed_elsewhere()  # a wait's heartbeat: the mail is the same
        other.beat_poller(PollerBeat("w", "wait", 1.0, 9, 1))
        other.mark_seen("none-such")  # changes nothing either
        assert not mine.changed_elsewhere()
        other.sync_messages("a@example.com", [message("m1")])
        other.beat_poller(PollerBeat("w", "wait", 1.0, 8, 2))
        assert mine.changed_elsewhere()


async def test_reader_shows_mail_and_boxes_the_cli_stores(
    sandbox: SandboxServer, tmp_path: Path, cli_env: None
) -> None:
    app = reader(sandbox, tmp_path, poll_interval=1.0)
    async with app.run_test(size=SIZE) as pilot:
        email = await start_with_box(app, pilot)
        # At the quota's reserve the reader stops polling on its own: whatever shows up in
        # it from now on came through the store, not from its own requests.
        sandbox.state.set_quota(limit=1_000, used=990)
        await pilot.press("R")
        await wait_for(pilot, lambda: app.scheduler.status().mode == "reserve", what="reserve")
        used = sandbox.state.quota().used
        sandbox.state.deliver(email, subject="fetched by the CLI", text="x")
        assert await cli("messages", email) == 0
        assert sandbox.state.quota().used == used + 1  # the CLI's request, not the reader's
        # Within one poll interval (1 s), plus the tick it is checked on.
        await wait_for(pilot, lambda: table(app).row_count == 1, timeout=3, what="list")
        assert [m.subject for m in app.main.messages.values()] == ["fetched by the CLI"]
        await wait_for(pilot, lambda: app.main.unread.get(email) == 1, timeout=3, what="unread")
        prompt = str(sidebar(app).get_option(email).prompt)
        assert "1 unread" in prompt
        assert sandbox.state.quota().used == used + 1  # the reader asked nothing

        assert await cli("new") == 0
        await wait_for(pilot, lambda: sidebar(app).option_count == 2, timeout=3, what="new box")
        assert sidebar(app).selected_email == email  # the selection stays where it was


async def test_g_reloads_the_boxes_from_the_store(
    sandbox: SandboxServer, tmp_path: Path, cli_env: None
) -> None:
    # A long interval: the reader would not look at the store again for half a minute.
    app = reader(sandbox, tmp_path, poll_interval=30.0)
    async with app.run_test(size=SIZE) as pilot:
        await start_with_box(app, pilot)
        await pilot.pause(1.5)  # past the first look at the store
        assert await cli("new") == 0
        await pilot.pause(0.5)
        assert sidebar(app).option_count == 1
        await pilot.press("R")
        await wait_for(pilot, lambda: sidebar(app).option_count == 2, timeout=3, what="g")
