"""Working sessions from the settings: the client, store, renderer and store thread together."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tempmail_tui.core import paths
from tempmail_tui.core.config import Config
from tempmail_tui.errors import LocalError

# httpx, SQLite and the renderer load when a session opens, not when this module does.
if TYPE_CHECKING:
    from tempmail_tui.core.mail import MailService
    from tempmail_tui.core.store import Store, StoredMailbox

log = logging.getLogger(__name__)

#: Where a front end hears of problems that do not stop the work (a read-only store ...).
Warn = Callable[[str], None]


class NoApiKeyError(LocalError):
    """No API key is configured; ``problem`` says why one could not be found, if known."""

    def __init__(self, problem: str | None = None) -> None:
        super().__init__(f"no API key ({problem})" if problem else "no API key")
        self.problem = problem


@dataclass(frozen=True, slots=True)
class KnownBoxes:
    """The mailboxes this machine knows, newest first, and the unread count of each."""

    boxes: list[StoredMailbox]
    unread: dict[str, int]

    def unread_of(self, email: str) -> int:
        """The unread count of one box (0 if it has none)."""
        return self.unread.get(email, 0)


def store_notices(store: Store) -> list[str]:
    """What is wrong with a store just opened, one sentence each (nothing when all is well)."""
    notices: list[str] = []
    if store.recovered_from is not None:
        notices.append(f"the local store was damaged and moved to {store.recovered_from}")
    if store.fallback_reason is not None:
        notices.append(f"{store.fallback_reason}; nothing will be remembered")
    if store.read_only_reason is not None:
        notices.append(
            f"the local store {store.path} cannot be written ({store.read_only_reason}); "
            "its mail is read, new mail is not kept"
        )
    return notices


def _open_store(path: Path | None) -> Store:
    """The local store at ``path``, the shared one by default (never raises)."""
    from tempmail_tui.core.store import Store

    return Store.open(path or paths.store_path())


def known_boxes(*, store_path: Path | None = None, warn: Warn | None = None) -> KnownBoxes:
    """Read the known mailboxes and unread counts from the store alone, with no request."""
    store = _open_store(store_path)
    try:
        for notice in store_notices(store):
            (warn or log.warning)(notice)
        return KnownBoxes(store.mailboxes(), store.unread_counts())
    finally:
        store.close()


@contextlib.asynccontextmanager
async def open_mail(
    config: Config,
    *,
    retries: int = 3,
    store_path: Path | None = None,
    warn: Warn | None = None,
) -> AsyncIterator[MailService]:
    """A mail service on the configured API and the local store, closed on leaving.

    ``retries`` is how often the client repeats a failed GET before reporting it. Raises
    NoApiKeyError before anything is opened when the settings hold no key.
    """
    if config.api_key is None:
        raise NoApiKeyError(config.api_key_problem)
    from tempmail_tui.api.client import TempMailClient
    from tempmail_tui.core.mail import MailService
    from tempmail_tui.core.render import HtmlRenderer
    from tempmail_tui.core.store_thread import StoreThread

    db = StoreThread()
    try:
        # Opening may wait on another process's lock: on the store thread, off this loop.
        store = await db.run(_open_store, store_path)
        try:
            for notice in store_notices(store):
                (warn or log.warning)(notice)
            renderer = HtmlRenderer()
            try:
                client = TempMailClient(
                    config.api_key,
                    base_url=config.base_url,
                    timeout=config.timeout,
                    retries=retries,
                )
                service = MailService(client, store, renderer, db=db)
                try:
                    yield service
                finally:
                    await service.aclose()
            finally:
                renderer.close()
        finally:
            await db.run(store.close)
    finally:
        db.close()
