"""The status line's failure goes with its cause: a later success, an archived box, a new key."""

from __future__ import annotations

from pathlib import Path

import pytest

from tempmail_tui.sandbox.server import SandboxServer
from tempmail_tui.ui.app import TempMailApp
from tempmail_tui.ui.screens.dialogs import ConfirmDialog

from .app_helpers import make_app, wait_for
from .conftest import RESTARTABLE_KEY
from .test_app import SIZE, sidebar, start_with_box, table
from .test_app_polling import bar

KEY = RESTARTABLE_KEY


@pytest.fixture
def sandbox(restartable_sandbox: SandboxServer) -> SandboxServer:
    """A sandbox these tests can stop and start again (conftest.py)."""
    return restartable_sandbox


def quiet_app(sandbox: SandboxServer, tmp_path: Path) -> TempMailApp:
    """The app with a schedule too slow to poll on its own during a test: checks are asked."""
    return make_app(sandbox, tmp_path, poll_interval=300.0, background_interval=600.0)


async def check(app: TempMailApp, pilot: object, email: str) -> None:
    """Check one box now, as `g` does for the selected one, and wait for the answer."""
    await wait_for(pilot, lambda: not app.scheduler.in_flight, what="idle")  # type: ignore[arg-type]
    assert app.main.poll_now(email)
    await wait_for(pilot, lambda: not app.scheduler.in_flight, what=f"check of {email}")  # type: ignore[arg-type]


async def two_boxes(app: TempMailApp, pilot: object) -> tuple[str, str]:
    """Create two boxes with `n`; the second is selected."""
    first = await start_with_box(app, pilot)
    await pilot.press("n")  # type: ignore[attr-defined]
    await wait_for(
        pilot,  # type: ignore[arg-type]
        lambda: sidebar(app).selected_email not in (None, first),
        what="second box",
    )
    second = sidebar(app).selected_email
    assert second is not None
    await wait_for(pilot, lambda: not app.scheduler.in_flight, what="idle")  # type: ignore[arg-type]
    return first, second


async def test_a_failed_check_clears_when_that_box_is_checked_again(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    app = quiet_app(sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        first, second = await two_boxes(app, pilot)
        sandbox.state.update_faults(force_status=500, force_count=1)
        await check(app, pilot, first)
        assert app.main.problem is not None and f"Checking {first} failed" in app.main.problem
        assert "failed" in bar(app)
        # Another box answering says nothing about this one: the line stays.
        await check(app, pilot, second)
        assert app.main.problem is not None and first in app.main.problem
        # The server drops out: that is the newest failure, and it is the connection's.
        sandbox.stop()
        await check(app, pilot, second)
        assert app.main.problem is not None and "reach" in app.main.problem
        # Back again: any answer ends the connection's failure; the first box's is still true.
        sandbox.start()
        await check(app, pilot, second)
        assert app.main.problem is not None and f"Checking {first} failed" in app.main.problem
        await check(app, pilot, first)
        assert app.main.problem is None
        assert "failed" not in bar(app)


async def test_a_failed_check_clears_when_its_box_is_archived(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    app = quiet_app(sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        email = await start_with_box(app, pilot)
        sandbox.state.update_faults(force_status=500, force_count=1)
        await check(app, pilot, email)
        assert app.main.problem is not None and email in app.main.problem
        # The only box is deleted (archived here): no check of it will ever succeed again.
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="confirm")
        await pilot.press("y")
        await wait_for(
            pilot,
            lambda: any(b.email == email and b.state != "live" for b in app.main.boxes),
            what="box archived",
        )
        await wait_for(pilot, lambda: app.main.problem is None, what="line cleared")
        assert email not in bar(app)


async def test_a_gone_box_takes_its_failure_with_it(sandbox: SandboxServer, tmp_path: Path) -> None:
    app = quiet_app(sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        email = await start_with_box(app, pilot)
        sandbox.state.update_faults(force_status=500, force_count=1)
        await check(app, pilot, email)
        assert app.main.problem is not None and email in app.main.problem
        # Deleted elsewhere: the next check meets a 404 and the box is archived here.
        sandbox.state.delete_mailbox(KEY, email)
        await check(app, pilot, email)
        await wait_for(pilot, lambda: app.main.problem is None, what="line cleared")


async def test_a_failed_action_clears_when_a_later_request_succeeds(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    app = quiet_app(sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        email = await start_with_box(app, pilot)
        sandbox.state.deliver(email, subject="Hello", text="hi")
        await check(app, pilot, email)
        await wait_for(pilot, lambda: table(app).row_count == 1, what="the mail")
        sandbox.state.update_faults(force_status=500, force_count=1)
        await pilot.press("n")
        await wait_for(pilot, lambda: app.main.problem is not None, what="the failed create")
        assert "Creating a mailbox failed" in (app.main.problem or "")
        # Deleting the mail works (and checks no box): the server answers again, the line goes.
        table(app).focus()
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="confirm")
        await pilot.press("y")
        await wait_for(pilot, lambda: table(app).row_count == 0, what="the mail deleted")
        await wait_for(pilot, lambda: app.main.problem is None, what="the line cleared")
        assert "failed" not in bar(app)
