"""Quota-aware polling through the real app: reserve, 429 pause, offline back-off, expiry."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tempmail_tui.sandbox.faults import Faults
from tempmail_tui.sandbox.server import SandboxServer
from tempmail_tui.ui.screens.main_polling import MailPolling
from tempmail_tui.ui.widgets.quota_bar import QuotaBar

from .app_helpers import make_app, wait_for
from .test_app import SIZE, plain, sidebar, start_with_box, table


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A fresh sandbox server (HTTP only)."""
    with SandboxServer(api_key="tmk_test_key_0123456789abcdef", smtp_port=None) as server:
        yield server


def bar(app) -> str:  # type: ignore[no-untyped-def]
    """The quota bar's text."""
    return plain(app.main.query_one(QuotaBar))


async def test_reserve_stops_automatic_polls_but_g_still_works(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        email = await start_with_box(app, pilot)
        # 1% of 1,000 is the reserve: 5 left is below it.
        sandbox.state.set_quota(limit=1_000, used=995)
        await pilot.press("R")
        await wait_for(pilot, lambda: app.scheduler.status().mode == "reserve", what="reserve")
        await wait_for(pilot, lambda: "automatic checks stopped" in bar(app), what="says so")
        used = sandbox.state.quota().used
        sandbox.state.deliver(email, subject="arrives during the reserve", text="x")
        await pilot.pause(2.5)  # more than two fast intervals: no automatic poll may run
        assert sandbox.state.quota().used == used
        assert table(app).row_count == 0
        await pilot.press("R")  # a manual refresh still works
        await wait_for(pilot, lambda: table(app).row_count == 1, what="manual refresh")


async def test_429_pauses_until_reset(sandbox: SandboxServer, tmp_path: Path) -> None:
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await start_with_box(app, pilot)
        reset = datetime.now(UTC) + timedelta(hours=2)
        sandbox.state.set_quota(limit=100, used=100, reset_at=reset)
        await pilot.press("R")
        await wait_for(pilot, lambda: app.scheduler.status().mode == "paused", what="paused")
        status = app.scheduler.status()
        assert status.paused_until is not None
        assert abs((status.paused_until - reset).total_seconds()) < 2
        await wait_for(pilot, lambda: "paused until" in bar(app), what="bar says paused")
        assert "quota" in (app.main.problem or "").lower()


async def test_network_failure_shows_offline_and_keeps_data(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        email = await start_with_box(app, pilot)
        sandbox.state.deliver(email, subject="kept", text="x")
        await pilot.press("R")
        await wait_for(pilot, lambda: table(app).row_count == 1, what="mail")
        sandbox.stop()  # the service vanishes: connections are refused
        await pilot.press("R")
        await wait_for(pilot, lambda: "offline" in bar(app), timeout=15, what="offline mark")
        assert app.scheduler.status().offline
        assert table(app).row_count == 1  # last good data kept
        assert "reach" in (app.main.problem or "")


async def test_expired_box_is_marked_and_not_polled(tmp_path: Path) -> None:
    with SandboxServer(api_key="tmk_test_key_0123456789abcdef", mailbox_ttl=3) as sandbox:
        app = make_app(sandbox, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            email = await start_with_box(app, pilot)
            await wait_for(
                pilot,
                # Under the archive group's header once expired, still selected.
                lambda: "expired" in str(sidebar(app).get_option(email).prompt),
                timeout=10,
                what="expired mark",
            )
            await pilot.pause(1.2)
            used = sandbox.state.quota().used
            await pilot.pause(2.5)
            assert sandbox.state.quota().used == used  # nothing polls an expired box
            assert app.scheduler.status().mode == "idle"


async def test_background_boxes_poll_slower_than_the_selected_one(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(sandbox, tmp_path, poll_interval=1.0, background_interval=30.0)
    async with app.run_test(size=SIZE) as pilot:
        first = await start_with_box(app, pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: sidebar(app).selected_email not in (None, first), what="2nd")
        # Mail to the background box is not fetched at the fast rate...
        sandbox.state.deliver(first, subject="background", text="x")
        await pilot.pause(3)
        assert app.main.unread.get(first, 0) == 0
        # ...and sandbox faults aside, the selected box keeps polling at its own rate.
        second = sidebar(app).selected_email
        assert second is not None
        sandbox.state.faults = Faults()
        sandbox.state.deliver(second, subject="foreground", text="y")
        await wait_for(pilot, lambda: table(app).row_count == 1, timeout=5, what="fast poll")


async def test_the_box_selected_at_start_is_loaded_once(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        email = await start_with_box(app, pilot)
    loads: list[str | None] = []
    original = MailPolling.load_messages

    def counting(self: MailPolling, box: str | None) -> object:
        loads.append(box)
        return original(self, box)

    monkeypatch.setattr(MailPolling, "load_messages", counting)
    again = make_app(sandbox, tmp_path)
    async with again.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: table(again).mailbox == email, what="the box shown")
        # The sidebar's highlight of the same box arrives after the load: it must not load
        # (and check) the box a second time.
        await pilot.pause(0.5)
    assert loads.count(email) == 1, loads


async def test_a_new_box_is_watched_every_second_until_mail_comes(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(sandbox, tmp_path, poll_interval=5.0)
    async with app.run_test(size=SIZE) as pilot:
        email = await start_with_box(app, pilot)
        await wait_for(pilot, lambda: "watching for new mail: every 1 s" in bar(app), what="burst")
        sandbox.state.deliver(email, subject="welcome", text="x")
        # Far sooner than the 5 s interval would bring it.
        await wait_for(pilot, lambda: table(app).row_count == 1, timeout=2.5, what="the mail")
        await wait_for(pilot, lambda: "watching" not in bar(app), what="the burst's end")
        assert app.scheduler.status().fast_interval == 5.0
