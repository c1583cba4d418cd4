"""Shared test set-up: isolation from the user's machine and helpers for driving the app."""

from __future__ import annotations

import gc
import os
import socket
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import keyring
import pytest
from keyring.backends import null

from tempmail_tui.core import logfile
from tempmail_tui.sandbox.server import SandboxServer
from tempmail_tui.ui import interpreter

if TYPE_CHECKING:
    from tempmail_tui.core.mail import MailService

# Local times on screen must not depend on the machine running the tests.
os.environ["TZ"] = "UTC"
time.tzset()


@pytest.fixture(autouse=True)
def _isolated_user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keep every test away from the real config, data, keyring and API key."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    for name in (
        "TEMPMAIL_API_KEY",
        "TEMPMAIL_BASE_URL",
        "TEMPMAIL_DOWNLOAD_DIR",
        "TEMPMAIL_POLL_INTERVAL",
        "TEMPMAIL_LOG",
        "NO_COLOR",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def _no_log_file_left_open() -> Iterator[None]:
    """A log file configured by one test (the CLI does it) is closed before the next."""
    yield
    logfile.stop()


@pytest.fixture(autouse=True)
def _nothing_left_frozen() -> Iterator[None]:
    """What an app froze out of collections (ui/interpreter.py) is collectable again after it.

    A real run freezes once; a test process starts hundreds of apps, and the garbage frozen
    with each would never be freed.
    """
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    # An app closed while it held full collections off (opening a message) leaves the
    # collector's threshold raised and the hold counted: the next test starts without them.
    interpreter.FULL_COLLECTIONS.reset()
    interpreter.POLL_COLLECTIONS.reset()
    gc.enable()
    gc.set_threshold(*threshold)


#: The key of the restartable sandbox.
RESTARTABLE_KEY = "tmk_test_key_0123456789abcdef"


def free_port() -> int:
    """A loopback port nothing listens on now, so a sandbox can come back on it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def restartable_sandbox() -> Iterator[SandboxServer]:
    """A sandbox (HTTP only) on a fixed port, so a test can stop it and start it again."""
    server = SandboxServer(port=free_port(), smtp_port=None, api_key=RESTARTABLE_KEY)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """No keyring, as over SSH: nothing a test types is written anywhere."""
    previous = keyring.get_keyring()
    keyring.set_keyring(null.Keyring())  # type: ignore[no-untyped-call]
    yield
    keyring.set_keyring(previous)


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    """A sandbox without SMTP for a module's core tests (files may define their own)."""
    with SandboxServer(smtp_port=None) as sandbox:
        yield sandbox


@pytest.fixture
async def service(server: SandboxServer, tmp_path: Path) -> AsyncIterator[MailService]:
    """The core's use cases over loopback HTTP to ``server``, with a fresh store."""
    # Imported here: the conftest is loaded by every test, most of which need none of it.
    from tempmail_tui.api.client import TempMailClient
    from tempmail_tui.core.mail import MailService
    from tempmail_tui.core.render import HtmlRenderer
    from tempmail_tui.core.store import Store

    store = Store.open(tmp_path / "store.sqlite3")
    client = TempMailClient(server.api_key, base_url=server.base_url, retries=0)
    mail = MailService(client, store, HtmlRenderer())
    try:
        yield mail
    finally:
        await mail.aclose()
        store.close()
