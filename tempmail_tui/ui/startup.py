"""Start-up work done off the UI thread (demo sandbox, store, key) and the message it posts."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

from tempmail_tui.core.config import Config

if TYPE_CHECKING:
    from tempmail_tui.core.credentials import KeySource
    from tempmail_tui.core.session import LocalStore
    from tempmail_tui.core.store import OpeningNotice
    from tempmail_tui.sandbox.server import SandboxServer


@dataclass(frozen=True)
class DemoSetup:
    """The demo's sandbox and throwaway directory, started off the UI thread and handed over."""

    server: SandboxServer
    directory: Path

    @classmethod
    def start(cls) -> DemoSetup:
        """Start the sandbox in-process with a throwaway directory for its store and downloads."""
        from tempmail_tui.sandbox.server import SandboxServer

        server = SandboxServer()
        server.start()
        return cls(server, Path(tempfile.mkdtemp(prefix="tempmail-demo-")))

    def configure(self, config: Config) -> Config:
        """The settings pointed at the sandbox: its key, its URL, the throwaway downloads."""
        return replace(
            config,
            api_key=self.server.api_key,
            api_key_source="session",
            base_url=self.server.base_url,
            download_dir=self.directory / "downloads",
        )

    def close(self) -> None:
        """Stop the sandbox and remove the throwaway directory."""
        self.server.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


@dataclass
class Bootstrapped(Message):
    """Start-up work done off the UI thread, for the app's handler to apply on the UI thread."""

    store: LocalStore | None
    #: The store file opened (or tried).
    store_path: Path
    key: str | None = field(repr=False)
    keyring_ok: bool
    keyring_note: str
    problem: str | None = None
    # Set when the store could be opened for reading only: its mail shows, new mail is not kept.
    read_only_notice: str | None = None
    #: Where the key was found when the config had none (the keyring), else None.
    found_in: KeySource | None = None
    #: The started sandbox, with --demo.
    demo: DemoSetup | None = None


@dataclass
class StoreOpening(Message):
    """What holds up the opening of the store (a long upgrade, a wait for one), to show."""

    notice: OpeningNotice


def prepare(
    config: Config,
    store_path: Path | None,
    *,
    demo: bool,
    post: Callable[[Message], object] | None = None,
) -> Bootstrapped:
    """Do the slow start-up steps (sandbox, SQLite, keyring) and say what they gave.

    Runs in a thread and assigns nothing of the app's: the handler of the message does.
    ``post`` sends the app a ``StoreOpening`` when the store takes long to open.
    """
    from tempmail_tui.core import credentials, paths

    setup = DemoSetup.start() if demo else None
    try:
        if setup is not None:
            config = setup.configure(config)
            store_path = store_path or setup.directory / "store.sqlite3"
        path = store_path or paths.store_path()
        store, problem, read_only_notice = open_store(path, _poster(post))
        key = config.api_key
        found_in: KeySource | None = None
        keyring_ok, keyring_note = True, ""
        if key is None:
            lookup = credentials.lookup_api_key({})
            # The source comes with a key only: None when nothing was found.
            key, found_in = lookup.key, lookup.source
        if key is None:
            keyring_ok, keyring_note = credentials.keyring_available()
    except BaseException:
        # Nobody else holds the sandbox yet: stop it before the failure is reported.
        if setup is not None:
            setup.close()
        raise
    return Bootstrapped(
        store,
        path,
        key,
        keyring_ok,
        keyring_note,
        problem,
        read_only_notice,
        found_in=found_in,
        demo=setup,
    )


def _poster(
    post: Callable[[Message], object] | None,
) -> Callable[[OpeningNotice], None] | None:
    """The store's notices, each sent as a ``StoreOpening`` message by ``post``."""
    if post is None:
        return None
    send = post

    def tell(notice: OpeningNotice) -> None:
        send(StoreOpening(notice))

    return tell


def open_store(
    path: Path, notice: Callable[[OpeningNotice], None] | None = None
) -> tuple[LocalStore | None, str | None, str | None]:
    """Open the local store: the store (None if it cannot be), a problem, a read-only notice."""
    from tempmail_tui.core.session import open_local_store

    try:
        local = open_local_store(path, notice=notice)
    except Exception as error:
        return None, f"Could not open the local database {path}: {error}", None
    return local, local.condition.problem, local.condition.read_only
