"""Working sessions from the settings: the client, store, renderer and store thread together."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tempmail_tui.core import paths
from tempmail_tui.core.config import Config
from tempmail_tui.errors import LocalError

# httpx, SQLite and the renderer load when a session opens, not when this module does.
if TYPE_CHECKING:
    from tempmail_tui.api.models import Mailbox
    from tempmail_tui.core.archive import Archive
    from tempmail_tui.core.mail import MailService
    from tempmail_tui.core.schedule import PollPolicy
    from tempmail_tui.core.store import OpeningNotify, Store, StoredMailbox
    from tempmail_tui.core.store_thread import StoreThread

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


@dataclass(frozen=True, slots=True)
class StoreCondition:
    """What is wrong with a store just opened: a problem, and why it is read-only (or None)."""

    problem: str | None = None
    read_only: str | None = None

    @classmethod
    def of(cls, store: Store) -> StoreCondition:
        """Read the condition of an opened store."""
        problem: str | None = None
        if store.recovered_from is not None:
            problem = (
                f"The local database was damaged; it was moved to {store.recovered_from} "
                "and a new one was started."
            )
        elif store.fallback_reason is not None:
            problem = (
                f"The local database cannot be used ({store.fallback_reason}); "
                "mail is kept in memory until you quit."
            )
        read_only: str | None = None
        if store.read_only_reason is not None:
            read_only = (
                f"The local database {store.path} cannot be written "
                f"({store.read_only_reason}): its mail is shown, but new mail is not kept."
            )
        return cls(problem, read_only)

    def notices(self) -> list[str]:
        """Each thing wrong, one sentence each (nothing when all is well)."""
        return [notice for notice in (self.problem, self.read_only) if notice]


@dataclass(frozen=True)
class LocalStore:
    """The local store held open by a long-running front end, and what is wrong with it."""

    store: Store = field(repr=False)
    condition: StoreCondition

    @property
    def path(self) -> Path | None:
        """The database file (None when the mail is kept in memory only)."""
        return self.store.path

    def close(self) -> None:
        """Close the database."""
        self.store.close()


def open_local_store(path: Path | None, *, notice: OpeningNotify | None = None) -> LocalStore:
    """Open the store at ``path`` (the shared one by default) for a front end to hold.

    Raises StoreError when no store at all can be had; a damaged or read-only one opens,
    and its condition says so. ``notice`` hears of a long upgrade before it starts, and of
    a wait for another process upgrading the store.
    """
    store = _open_store(path, notice)
    return LocalStore(store, StoreCondition.of(store))


def connect(config: Config, key: str, local: LocalStore) -> MailService:
    """A mail service on the configured API with this key and a held store."""
    from tempmail_tui.api.client import TempMailClient
    from tempmail_tui.core.mail import MailService
    from tempmail_tui.core.render import HtmlRenderer

    client = TempMailClient(key, base_url=config.base_url, timeout=config.timeout)
    return MailService(client, local.store, HtmlRenderer(), code_rules=config.code_rules)


async def check_key(config: Config, key: str) -> None:
    """Try a key with one request, the cheapest there is (the domain list).

    Returns when the server accepts it; raises AuthenticationError when the server rejects
    it, InputError when it cannot be sent at all, and another ApiError when no answer says
    either way (the network, a server error, the quota).
    """
    from tempmail_tui.api.client import TempMailClient

    # No retries: the user waits on this, and a failure is theirs to retry or not.
    client = TempMailClient(key, base_url=config.base_url, timeout=config.timeout, retries=0)
    async with client:
        await client.domains()


def policy_for(config: Config) -> PollPolicy:
    """The polling schedule's knobs from the settings (the reader and ``wait`` alike)."""
    from tempmail_tui.core.schedule import PollPolicy

    return PollPolicy(
        fast_interval=config.poll_interval,
        slow_interval=config.background_interval,
        reserve_fraction=config.reserve_fraction,
    )


def _open_store(path: Path | None, notice: OpeningNotify | None = None) -> Store:
    """The local store at ``path``, the shared one by default."""
    from tempmail_tui.core.store import Store

    return Store.open(path or paths.store_path(), notify=notice)


def known_boxes(
    *,
    store_path: Path | None = None,
    warn: Warn | None = None,
    notice: OpeningNotify | None = None,
) -> KnownBoxes:
    """Read the known mailboxes and unread counts from the store alone, with no request."""
    store = _open_store(store_path, notice)
    try:
        for problem in StoreCondition.of(store).notices():
            (warn or log.warning)(problem)
        return KnownBoxes(store.mailboxes(), store.unread_counts())
    finally:
        store.close()


def remember_mailbox(mailbox: Mailbox, *, store_path: Path | None = None) -> None:
    """Record a mailbox created elsewhere (a script, a scene), so every front end lists it."""
    store = _open_store(store_path)
    try:
        store.add_mailbox(mailbox)
    finally:
        store.close()


@contextlib.asynccontextmanager
async def _store_on_its_thread(
    store_path: Path | None, warn: Warn | None, notice: OpeningNotify | None
) -> AsyncIterator[tuple[StoreThread, Store]]:
    """The local store opened on its own thread, its notices said, closed on leaving."""
    from tempmail_tui.core.store_thread import StoreThread

    db = StoreThread()
    try:
        # Opening may wait on another process's lock: on the store thread, off this loop.
        store = await db.run(_open_store, store_path, notice)
        try:
            for problem in StoreCondition.of(store).notices():
                (warn or log.warning)(problem)
            yield db, store
        finally:
            await db.run(store.close)
    finally:
        db.close()


@contextlib.asynccontextmanager
async def open_archive(
    *,
    store_path: Path | None = None,
    warn: Warn | None = None,
    notice: OpeningNotify | None = None,
) -> AsyncIterator[Archive]:
    """The archive use cases on the local store alone: no key, no request."""
    from tempmail_tui.core.archive import Archive

    async with _store_on_its_thread(store_path, warn, notice) as (db, store):
        # No service here: nothing in memory holds the box, so nothing to drop.
        yield Archive(store, db, forgotten=lambda email: None)


@contextlib.asynccontextmanager
async def open_mail(
    config: Config,
    *,
    retries: int = 3,
    store_path: Path | None = None,
    warn: Warn | None = None,
    notice: OpeningNotify | None = None,
) -> AsyncIterator[MailService]:
    """A mail service on the configured API and the local store, closed on leaving.

    ``retries`` is how often the client repeats a failed GET before reporting it; ``warn``
    and ``notice`` are as for ``known_boxes`` and ``open_local_store``. Raises
    NoApiKeyError before anything is opened when the settings hold no key.
    """
    if config.api_key is None:
        raise NoApiKeyError(config.api_key_problem)
    from tempmail_tui.api.client import TempMailClient
    from tempmail_tui.core.mail import MailService
    from tempmail_tui.core.render import HtmlRenderer

    async with _store_on_its_thread(store_path, warn, notice) as (db, store):
        client = TempMailClient(
            config.api_key, base_url=config.base_url, timeout=config.timeout, retries=retries
        )
        service = MailService(client, store, HtmlRenderer(), db=db, code_rules=config.code_rules)
        try:
            yield service
        finally:
            await service.aclose()
