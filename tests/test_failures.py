"""No silent failures: unexpected errors in actions, workers and handlers are shown and logged."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.notifications import Notification

from tempmail_tui.core import logfile
from tempmail_tui.core.mail import MailService
from tempmail_tui.sandbox.server import SandboxServer
from tempmail_tui.ui.app import TempMailApp, describe_action
from tempmail_tui.ui.screens.help import HelpScreen
from tempmail_tui.ui.screens.main import MainScreen

from .app_helpers import make_app, wait_for

SIZE = (120, 36)


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A sandbox without SMTP (not needed here)."""
    with SandboxServer(smtp_port=None) as server:
        yield server


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    """The detailed log, as `--log FILE` would set it up."""
    path = tmp_path / "app.log"
    logfile.configure(path)
    return path


def toasts(app: TempMailApp) -> list[Notification]:
    """The notifications currently shown."""
    return list(app._notifications)


def error_toasts(app: TempMailApp) -> list[str]:
    """The text of every error toast shown."""
    return [n.message for n in toasts(app) if n.severity == "error"]


class Injected(Exception):
    """The failure the tests inject."""


async def error_toasts_after(
    sandbox: SandboxServer, tmp_path: Path, key: str, *, then: str | None = None
) -> list[str]:
    """Start the app, press a key, and return the error toasts it raised (then press another)."""
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.service is not None, what="connected")
        await pilot.press(key)
        await wait_for(pilot, lambda: error_toasts(app), what="an error toast")
        shown = error_toasts(app)
        if then is not None:
            # Still alive: the next key works.
            await pilot.press(then)
            await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        assert app.return_code is None
    return shown


async def test_failing_action_is_shown_and_logged_and_the_app_goes_on(
    sandbox: SandboxServer, tmp_path: Path, log_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: MainScreen) -> None:
        raise Injected("the clipboard exploded")

    monkeypatch.setattr(MainScreen, "action_copy_address", broken)
    shown = await error_toasts_after(sandbox, tmp_path, "y", then="question_mark")
    assert shown == ["Copy address failed: Injected: the clipboard exploded (details in the log)"]
    text = log_file.read_text(encoding="utf-8")
    assert "Copy address failed unexpectedly" in text
    assert "Traceback (most recent call last)" in text
    assert "in broken" in text and "Injected: the clipboard exploded" in text


async def test_failing_worker_is_shown_and_logged(
    sandbox: SandboxServer, tmp_path: Path, log_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: MainScreen) -> bool:
        raise Injected("no readiness today")

    # _ready runs inside the `n` worker, before the guarded network call.
    monkeypatch.setattr(MainScreen, "_ready", broken)
    shown = await error_toasts_after(sandbox, tmp_path, "n", then="question_mark")
    assert shown == ["New box failed: Injected: no readiness today (details in the log)"]
    text = log_file.read_text(encoding="utf-8")
    assert "New box failed unexpectedly" in text and "Traceback" in text


async def test_local_failure_inside_an_action_is_logged_with_its_traceback(
    sandbox: SandboxServer, tmp_path: Path, log_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(self: MailService) -> None:
        raise KeyError("store column")

    monkeypatch.setattr(MailService, "create_mailbox", broken)
    shown = await error_toasts_after(sandbox, tmp_path, "n")
    assert shown == ["Creating a mailbox failed: KeyError: 'store column'"]
    text = log_file.read_text(encoding="utf-8")
    assert "Creating a mailbox failed" in text and "in broken" in text


async def test_failing_handler_is_shown_and_the_screen_keeps_working(
    sandbox: SandboxServer, tmp_path: Path, log_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = 0
    original = MainScreen.refresh_quota

    def flaky(self: MainScreen) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise Injected("quota bar fell over")
        original(self)

    monkeypatch.setattr(MainScreen, "refresh_quota", flaky)
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: error_toasts(app), timeout=15, what="an error toast")
        assert any("failed: Injected: quota bar fell over" in t for t in error_toasts(app))
        # The main screen's message loop is still running: a key is still handled.
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
    assert "quota bar fell over" in log_file.read_text(encoding="utf-8")


async def test_palette_command_failure_is_reported(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: MainScreen) -> None:
        raise Injected("palette path")

    monkeypatch.setattr(MainScreen, "action_toggle_sidebar", broken)
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.service is not None, what="connected")
        command = next(c for c in app.get_system_commands(app.screen) if c.title == "Sidebar")
        await command.callback()
        await wait_for(pilot, lambda: error_toasts(app), what="an error toast")
        assert error_toasts(app) == ["Sidebar failed: Injected: palette path (details in the log)"]


async def test_a_crash_ends_the_app_with_status_one_and_a_logged_traceback(
    sandbox: SandboxServer, tmp_path: Path, log_file: Path
) -> None:
    def explode() -> None:
        raise Injected("outside every guard")

    app = make_app(sandbox, tmp_path)
    with pytest.raises(Injected):
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.service is not None, what="connected")
            # A callback on the app's own message loop: nothing of ours guards it.
            app.call_later(explode)
            await pilot.pause(0.5)
    assert app.return_code == 1
    assert app.crash == "Injected: outside every guard"
    text = log_file.read_text(encoding="utf-8")
    assert "stopped by an unexpected error" in text and "in explode" in text


def test_actions_are_named_as_their_keys_describe_them() -> None:
    assert describe_action("action_rename_box") == "Rename"
    assert describe_action("screen.delete_box") == "Delete box"
    assert describe_action("app.quit") == "Quit"
    assert describe_action("bootstrap") == "Bootstrap"
    assert describe_action("focus('x')") == "Focus"
