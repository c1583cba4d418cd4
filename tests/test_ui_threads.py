"""Workers never assign app state: every assignment to the app's fields is on the UI thread."""

from __future__ import annotations

import asyncio
import gc
import inspect
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tempmail_tui.core import credentials
from tempmail_tui.core.config import Config
from tempmail_tui.sandbox.server import SandboxServer
from tempmail_tui.ui import startup
from tempmail_tui.ui.app import TempMailApp
from tempmail_tui.ui.startup import Bootstrapped, prepare

from .app_helpers import make_app, wait_for

SIZE = (120, 36)

#: The app's own fields: what start-up, connecting and the theme change assign.
WATCHED = frozenset(
    {"config", "demo", "store_path", "store", "service", "sandbox", "_demo_dir", "_io", "crash"}
)


class GuardedApp(TempMailApp):
    """The real app, noting the thread of every assignment to a watched field."""

    # A relative path would be looked for next to this file.
    CSS_PATH = Path(inspect.getfile(TempMailApp)).with_name("app.tcss")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.assigned: list[tuple[str, str, int]] = []
        super().__init__(*args, **kwargs)

    def __setattr__(self, name: str, value: object) -> None:
        if name in WATCHED:
            thread = threading.current_thread()
            self.assigned.append((name, thread.name, thread.ident or 0))
        super().__setattr__(name, value)


def off_the_ui_thread(app: GuardedApp, ui: int) -> list[tuple[str, str]]:
    """The fields assigned from another thread, with that thread's name."""
    return [(name, thread) for name, thread, ident in app.assigned if ident != ui]


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A sandbox without SMTP (not needed here)."""
    with SandboxServer(api_key="tmk_test_key_0123456789abcdef", smtp_port=None) as server:
        yield server


async def test_the_demo_start_up_assigns_on_the_ui_thread_only(tmp_path: Path) -> None:
    # Pilot runs the app's loop on this thread: it is the UI thread.
    ui = threading.get_ident()
    app = GuardedApp(Config(download_dir=tmp_path / "downloads"), demo=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.main.boxes, timeout=20, what="the demo's mailbox")
        # What the start-up thread made is the app's now: the sandbox, its config and store.
        assert app.sandbox is not None and app._demo_dir is not None
        assert app.config.base_url == app.sandbox.base_url
        assert app.store_path == app._demo_dir / "store.sqlite3"
        assert app.store is not None and app.service is not None
        demo_dir = app._demo_dir
    assert off_the_ui_thread(app, ui) == []
    assert {"sandbox", "_demo_dir", "config", "store_path", "store", "service"} <= {
        name for name, _, _ in app.assigned
    }
    assert not demo_dir.exists()  # handed over, so cleaned up at exit


async def test_a_key_found_at_start_up_is_applied_on_the_ui_thread(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def keyring_has_it(environ: object) -> credentials.KeyLookup:
        return credentials.KeyLookup(sandbox.api_key, "keyring", None)

    monkeypatch.setattr(credentials, "lookup_api_key", keyring_has_it)
    ui = threading.get_ident()
    config = make_app(sandbox, tmp_path).config
    app = GuardedApp(
        Config(
            base_url=config.base_url,
            download_dir=config.download_dir,
            config_file=tmp_path / "config.toml",
        ),
        store_path=tmp_path / "store.sqlite3",
    )
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.service is not None, what="connected")
        assert app.config.api_key == sandbox.api_key
        assert app.config.api_key_source == "keyring"
        # The theme is saved by a thread worker too: it writes the file and assigns nothing.
        app.theme = "nord"
        path = tmp_path / "config.toml"
        await wait_for(pilot, lambda: path.exists() and "nord" in path.read_text(), what="saved")
        assert app.config.theme == "nord"
    assert off_the_ui_thread(app, ui) == []


async def test_what_start_up_makes_for_an_app_already_closed_is_let_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[Bootstrapped] = []

    def noting(*args: Any, **kwargs: Any) -> Bootstrapped:
        made.append(prepare(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(startup, "prepare", noting)
    app = TempMailApp(
        Config(download_dir=tmp_path / "downloads"),
        demo=True,
        store_path=tmp_path / "store.sqlite3",
    )
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.main.boxes, timeout=20, what="the demo's mailbox")
    # Closed: a start-up that ends now has nobody to hand its sandbox and store to.
    await asyncio.to_thread(TempMailApp.bootstrap.__wrapped__, app)  # type: ignore[attr-defined]
    first, late = made
    assert late.demo is not None and first.demo is not None
    assert late.demo.directory != first.demo.directory
    assert not late.demo.server.running
    assert not late.demo.directory.exists()


async def test_save_progress_never_waits_for_the_ui(sandbox: SandboxServer, tmp_path: Path) -> None:
    # The progress callback runs on the I/O loop: had it waited for a redraw, every poll
    # would wait with it. Called while the UI thread is busy, it must return at once.
    from textual.widgets import Static

    from tempmail_tui.ui.screens.main_actions import ProgressLines

    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.service is not None, what="service")
        progress = ProgressLines("big.bin", app.main.post_message)
        took: list[float] = []

        def download() -> None:
            for done in (1, 2, 3):
                started = time.monotonic()
                progress(done * 1024, 3 * 1024)
                took.append(time.monotonic() - started)

        thread = threading.Thread(target=download)
        thread.start()
        time.sleep(0.5)  # the UI thread is busy (this test holds it)
        thread.join(2)
        assert len(took) == 3 and max(took) < 0.2, took
        transfer = app.main.query_one("#transfer", Static)
        await wait_for(pilot, lambda: "(100%)" in str(transfer.render()), what="last line")
        assert "Saving big.bin: 3.0 KB of 3.0 KB" in str(transfer.render())


async def test_start_up_takes_what_it_loaded_out_of_full_collections(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    # A full collection walking the app's modules and screens stalled a newsletter's
    # opening by 50-230 ms; frozen once start-up is done, the sweeps skip them.
    gc.unfreeze()
    app = make_app(sandbox, tmp_path)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: gc.get_freeze_count() > 0, timeout=5, what="frozen")
            swept = {id(obj) for obj in gc.get_objects()}
            assert id(app.main) not in swept and id(TempMailApp.bootstrap) not in swept
    finally:
        gc.unfreeze()
