"""Helpers for driving the real app against a real sandbox in tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from textual.pilot import Pilot

from tempmail_tui.core.config import Config
from tempmail_tui.sandbox.server import SandboxServer
from tempmail_tui.ui.app import TempMailApp


def make_app(
    sandbox: SandboxServer,
    tmp_path: Path,
    *,
    api_key: str | None = None,
    clock: Callable[[], datetime] | None = None,
    poll_interval: float = 1.0,
    background_interval: float = 5.0,
) -> TempMailApp:
    """The real app, configured for this sandbox with its own store and download directory."""
    config = Config(
        base_url=sandbox.base_url,
        api_key=sandbox.api_key if api_key is None else api_key,
        api_key_source="flag",
        download_dir=tmp_path / "downloads",
        poll_interval=poll_interval,
        background_interval=background_interval,
        timeout=5.0,
    )
    return TempMailApp(config, store_path=tmp_path / "store.sqlite3", clock=clock)


async def wait_for(
    pilot: Pilot[object], predicate: Callable[[], object], *, timeout: float = 10.0, what: str = ""
) -> None:
    """Let the app run until the predicate holds, or fail after the timeout."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await pilot.pause(0.05)
