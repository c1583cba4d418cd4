"""The key dialog from the palette, and a typed key checked with the server before it is used."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from keyring.backends import null
from textual.widgets import Button, Input, Static

from tempmail_tui.api.errors import AuthenticationError, NetworkError
from tempmail_tui.core.config import Config
from tempmail_tui.core.session import check_key
from tempmail_tui.sandbox.server import SandboxServer
from tempmail_tui.ui.app import TempMailApp
from tempmail_tui.ui.screens.key_dialog import ApiKeyDialog

from .app_helpers import make_app, wait_for
from .test_app import SIZE, plain
from .test_app_stale import KEY
from .test_credentials import MemoryKeyring


@pytest.fixture
def sandbox(restartable_sandbox: SandboxServer) -> SandboxServer:
    """A sandbox these tests can stop and start again (conftest.py)."""
    return restartable_sandbox


WRONG = "tmk_wrong_key_000000000000"


# No keyring, as over SSH: nothing a test types is written anywhere.
pytestmark = pytest.mark.usefixtures("no_keyring")


def dialog_text(app: TempMailApp) -> str:
    """What the key dialog says under the field (its error or progress line)."""
    return plain(app.screen.query_one("#error", Static))


async def open_from_palette(app: TempMailApp, pilot: object) -> None:
    """Open the key dialog through the command palette, as a user does."""
    await wait_for(pilot, lambda: app.service is not None, what="service")  # type: ignore[arg-type]
    await pilot.press("ctrl+p")  # type: ignore[attr-defined]
    await pilot.press(*"Enter API key")  # type: ignore[attr-defined]
    await pilot.pause(0.3)  # type: ignore[attr-defined]
    await pilot.press("enter")  # type: ignore[attr-defined]
    await wait_for(pilot, lambda: isinstance(app.screen, ApiKeyDialog), what="key dialog")  # type: ignore[arg-type]


async def type_key(app: TempMailApp, pilot: object, key: str) -> None:
    """Put a key in the dialog's field and press Enter."""
    app.screen.query_one("#key", Input).value = key
    await pilot.press("enter")  # type: ignore[attr-defined]


async def test_palette_opens_the_dialog_and_a_rejected_key_keeps_it_open(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_from_palette(app, pilot)
        said = " ".join(plain(s) for s in app.screen.query(Static))
        assert "In use now: " in said and KEY not in said and KEY[:-4] not in said
        shown = app.export_screenshot().replace("&#160;", " ")
        assert "In use now" in shown and KEY not in shown and KEY[-12:] not in shown
        assert not app.screen.query_one("#unchecked", Button).display
        await type_key(app, pilot, WRONG)
        await wait_for(pilot, lambda: "rejected" in dialog_text(app), what="rejection")
        assert "rejected by the server" in dialog_text(app)
        assert isinstance(app.screen, ApiKeyDialog)  # open for another try
        assert not app.screen.query_one("#unchecked", Button).display  # no way round a 401
        assert app.config.api_key == KEY  # the rejected key replaced nothing
        await type_key(app, pilot, KEY)
        await wait_for(pilot, lambda: not isinstance(app.screen, ApiKeyDialog), what="accepted")
        assert app.config.api_key == KEY and app.config.api_key_source == "session"


async def test_with_a_keyring_the_checked_key_is_saved_in_it(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    # The keyring is asked off the UI thread and off the I/O loop (polls share that loop).
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        app = make_app(sandbox, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await open_from_palette(app, pilot)
            said = " ".join(plain(s) for s in app.screen.query(Static))
            assert "kept in the system keyring" in said
            assert str(app.screen.query_one("#ok", Button).label) == "Save"
            await type_key(app, pilot, KEY)
            await wait_for(pilot, lambda: bool(backend.entries), what="the key saved")
            assert list(backend.entries.values()) == [KEY]
            await wait_for(
                pilot,
                lambda: any("saved in the keyring" in n.message for n in app._notifications),
                what="the toast",
            )
    finally:
        keyring.set_keyring(null.Keyring())  # type: ignore[no-untyped-call]


async def test_a_check_that_cannot_reach_the_server_says_so_and_can_be_retried(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_from_palette(app, pilot)
        sandbox.stop()
        await type_key(app, pilot, KEY)
        await wait_for(pilot, lambda: "Could not check" in dialog_text(app), what="no answer")
        text = dialog_text(app)
        assert "reach" in text and "rejected" not in text
        assert app.screen.query_one("#unchecked", Button).display
        assert str(app.screen.query_one("#ok", Button).label) == "Check again"
        sandbox.start()
        await pilot.click("#ok")
        await wait_for(pilot, lambda: not isinstance(app.screen, ApiKeyDialog), what="accepted")
        assert app.config.api_key_source == "session"


async def test_a_key_can_be_used_unchecked_when_the_server_cannot_be_asked(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(sandbox, tmp_path, api_key=WRONG)
    async with app.run_test(size=SIZE) as pilot:
        await open_from_palette(app, pilot)
        sandbox.stop()
        await type_key(app, pilot, KEY)
        await wait_for(pilot, lambda: "Could not check" in dialog_text(app), what="no answer")
        await pilot.click("#unchecked")
        await wait_for(pilot, lambda: not isinstance(app.screen, ApiKeyDialog), what="closed")
        assert app.config.api_key == KEY and app.config.api_key_source == "session"
        # The server is back: the key that was used unchecked works.
        sandbox.start()
        await pilot.press("n")
        await wait_for(pilot, lambda: app.main.boxes != [], what="a box with the new key")


async def test_a_new_key_clears_the_rejection_from_the_status_line(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(sandbox, tmp_path, api_key=WRONG)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.service is not None, what="service")
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, ApiKeyDialog), what="key dialog")
        assert app.main.problem is not None and "rejected" in app.main.problem
        await type_key(app, pilot, KEY)
        await wait_for(pilot, lambda: not isinstance(app.screen, ApiKeyDialog), what="accepted")
        # No box exists, so no check will come to clear it: the new key itself does.
        assert app.main.boxes == []
        await wait_for(pilot, lambda: app.main.problem is None, what="line cleared")


async def test_check_key_is_one_request_and_tells_rejection_from_no_answer(
    sandbox: SandboxServer,
) -> None:
    config = Config(base_url=sandbox.base_url, timeout=5.0)
    used = sandbox.state.quota().used
    await check_key(config, KEY)
    assert sandbox.state.quota().used == used + 1  # one request, and only one
    with pytest.raises(AuthenticationError) as rejected:
        await check_key(config, WRONG)
    assert WRONG not in str(rejected.value) and WRONG not in repr(rejected.value)
    sandbox.stop()
    with pytest.raises(NetworkError):
        await check_key(config, KEY)
