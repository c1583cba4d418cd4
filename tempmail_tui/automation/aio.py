"""The asynchronous Python API: ``AsyncTempMail`` sessions and their ``AsyncBox`` mailboxes."""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, TypeVar

from tempmail_tui.api.models import Attachment as ApiAttachment
from tempmail_tui.api.models import Message as ApiMessage
from tempmail_tui.automation.errors import SessionClosedError, UsageError
from tempmail_tui.automation.records import AsyncAttachment, AsyncMessage
from tempmail_tui.core.config import Config, load_config
from tempmail_tui.core.session import open_mail, policy_for
from tempmail_tui.core.waiting import MailFilter, any_message, code_of, link_of, wait_for

if TYPE_CHECKING:
    from tempmail_tui.core.mail import MailService
    from tempmail_tui.core.store import StoredMailbox

T = TypeVar("T")
log = logging.getLogger(__name__)

#: How long ``wait`` waits by default, in seconds.
DEFAULT_TIMEOUT = 60.0

#: A pattern as the caller gives it: text (searched case-insensitively) or a compiled one.
Pattern = str | re.Pattern[str]


def load_settings(
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    poll_interval: float | None = None,
) -> Config:
    """The settings as the command line finds them (environment, config.toml, keyring)."""
    config = load_config(
        flags={"api_key": api_key, "base_url": base_url, "poll_interval": poll_interval},
        environ=os.environ,
    )
    for warning in config.warnings:
        log.warning("%s", warning)
    return config


def _pattern(value: Pattern | None, what: str) -> re.Pattern[str] | None:
    """A filter pattern compiled as the command line compiles ``--subject`` and ``--from``."""
    if value is None or isinstance(value, re.Pattern):
        return value
    if not isinstance(value, str):
        raise UsageError(f"{what} must be a regular expression (text), not {type(value).__name__}")
    try:
        return re.compile(value, re.IGNORECASE)
    except re.error as exc:
        raise UsageError(f"{what} is not a valid regular expression: {exc}") from None


def _timeout(value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise UsageError(f"timeout must be a number of seconds, not {value!r}")
    if value <= 0:
        raise UsageError(f"timeout must be more than 0 seconds, not {value!r}")
    return float(value)


class AsyncTempMail:
    """A session on the Temp Mail API (or a sandbox): ``async with AsyncTempMail() as mail``.

    The key, base URL and store are found as the command line finds them; ``api_key``,
    ``base_url``, ``store_path`` and ``poll_interval`` override them.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        store_path: str | os.PathLike[str] | None = None,
        poll_interval: float | None = None,
    ) -> None:
        self._config = load_settings(
            api_key=api_key, base_url=base_url, poll_interval=poll_interval
        )
        self._store_path = Path(store_path) if store_path is not None else None
        self._policy = policy_for(self._config)
        self._stack: contextlib.AsyncExitStack | None = None
        self._service: MailService | None = None
        self._closed = False
        self._created: list[AsyncBox] = []

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open" if self._service else "not open"
        return f"AsyncTempMail({self._config.base_url}, {state})"

    @property
    def base_url(self) -> str:
        """The API base URL this session talks to."""
        return self._config.base_url

    @property
    def created(self) -> tuple[AsyncBox, ...]:
        """The boxes this session made with ``new``, oldest first."""
        return tuple(self._created)

    async def open(self) -> AsyncTempMail:
        """Open the session (``async with`` does it); NoApiKeyError when no key is set."""
        if self._closed:
            raise SessionClosedError("this AsyncTempMail is closed; make a new one")
        if self._service is None:
            stack = contextlib.AsyncExitStack()
            self._service = await stack.enter_async_context(
                open_mail(self._config, store_path=self._store_path)
            )
            self._stack = stack
        return self

    async def aclose(self) -> None:
        """Close the HTTP client and the store; the session cannot be used afterwards."""
        self._closed = True
        stack, self._stack, self._service = self._stack, None, None
        if stack is not None:
            await stack.aclose()

    async def __aenter__(self) -> AsyncTempMail:
        return await self.open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _live(self) -> MailService:
        """The open session's mail service; SessionClosedError when closed or not opened."""
        if self._service is None:
            if self._closed:
                raise SessionClosedError("this TempMail session is closed")
            raise SessionClosedError("this AsyncTempMail is not open: use `async with` or open()")
        return self._service

    async def new(self, label: str | None = None, *, labels: Sequence[str] = ()) -> AsyncBox:
        """Create a new random mailbox, labelled; every message it ever gets counts as new."""
        wanted = [*labels, *([label] if label is not None else [])]
        mailbox = await self._live().create_mailbox(wanted)
        known = await self._live().mailbox(mailbox.email)
        box = AsyncBox(
            self,
            mailbox.email,
            labels=known.labels if known is not None else (),
            expires_at=mailbox.expire_at,
            baseline=frozenset(),
        )
        self._created.append(box)
        return box

    async def box(self, address: str) -> AsyncBox:
        """Attach to an existing box (checked with the server); mail already in it is not new."""
        if not isinstance(address, str) or "@" not in address:
            raise UsageError(f"not a mail address: {address!r}")
        fetched = await self._live().fetch(address.strip())
        known = await self._live().mailbox(fetched.mailbox)
        return self._attached(fetched.mailbox, known, frozenset(m.id for m in fetched.messages))

    async def boxes(self, *, label: str | None = None) -> list[AsyncBox]:
        """The live boxes this machine knows (with ``label``, those carrying it), newest first.

        No request: mail the local store already holds is not new to ``wait``.
        """
        service = self._live()
        known = await (service.labelled(label) if label is not None else service.mailboxes())
        boxes: list[AsyncBox] = []
        for mailbox in known:
            if mailbox.is_live and not mailbox.is_expired():
                stored = frozenset(m.id for m in await service.messages(mailbox.email))
                boxes.append(self._attached(mailbox.email, mailbox, stored))
        return boxes

    def _attached(
        self, address: str, known: StoredMailbox | None, baseline: frozenset[str]
    ) -> AsyncBox:
        return AsyncBox(
            self,
            address,
            labels=known.labels if known is not None else (),
            expires_at=known.expire_at if known is not None else None,
            baseline=baseline,
        )


class AsyncBox:
    """One mailbox of an ``AsyncTempMail`` session: its address, its mail, waiting for more."""

    def __init__(
        self,
        mail: AsyncTempMail,
        address: str,
        *,
        labels: tuple[str, ...],
        expires_at: datetime | None,
        baseline: frozenset[str],
    ) -> None:
        self._mail = mail
        self._labels = labels
        #: The mail address, to type into the form under test.
        self.address = address
        #: When the server deletes the box (None when not known here).
        self.expires_at = expires_at
        # Messages ``wait`` never returns: those there when attached, and those it returned.
        self._baseline = baseline
        self._taken: set[str] = set()
        self.deleted = False

    def __repr__(self) -> str:
        return f"AsyncBox({self.address!r}, labels={self._labels!r})"

    def __str__(self) -> str:
        return self.address

    @property
    def labels(self) -> tuple[str, ...]:
        """What the box is for, as labelled (tidied by the core)."""
        return self._labels

    async def set_labels(self, *labels: str) -> tuple[str, ...]:
        """Replace the box's labels (kept in the local store, no request); the labels kept."""
        stored = await self._mail._live().set_labels(self.address, labels)
        self._labels = stored.labels
        return self._labels

    async def messages(self) -> list[AsyncMessage]:
        """Every message in the box now, newest first (one request)."""
        fetched = await self._mail._live().fetch(self.address)
        return [self._message(m, fetched.mailbox) for m in fetched.messages]

    async def wait(
        self,
        *,
        subject: Pattern | None = None,
        sender: Pattern | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        existing: bool = False,
    ) -> AsyncMessage:
        """The next new message whose subject and sender match (case-insensitive search).

        New means not returned by an earlier wait and, for a box attached rather than made
        by ``new``, not in it when attached; ``existing`` accepts any matching message.
        Raises WaitTimedOut when none arrives within ``timeout`` seconds.
        """
        found = await self._wait(any_message, subject, sender, timeout, existing)
        return self._message(found[0], found[1])

    async def wait_for_code(
        self,
        *,
        subject: Pattern | None = None,
        sender: Pattern | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        existing: bool = False,
    ) -> str:
        """The verification code of the next new matching message that carries one."""
        return (await self._wait(code_of, subject, sender, timeout, existing))[2]

    async def wait_for_link(
        self,
        *,
        subject: Pattern | None = None,
        sender: Pattern | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        existing: bool = False,
    ) -> str:
        """The action link of the next new matching message that carries one."""
        return (await self._wait(link_of, subject, sender, timeout, existing))[2]

    async def _wait(
        self,
        extract: Callable[[ApiMessage], T | None],
        subject: Pattern | None,
        sender: Pattern | None,
        timeout: float,
        existing: bool,
    ) -> tuple[ApiMessage, str, T]:
        mail_filter = MailFilter(_pattern(sender, "sender"), _pattern(subject, "subject"))
        seconds = _timeout(timeout)
        service = self._mail._live()
        found = await wait_for(
            service,
            self.address,
            extract,
            timeout=seconds,
            policy=self._mail._policy,
            mail_filter=mail_filter,
            # Every message counts but those this box has already accounted for.
            existing=True,
            skip=() if existing else self._baseline | self._taken,
            # The shared quota budget lists this process as a script, not a `wait`.
            kind="api",
        )
        self._taken.add(found.message.id)
        return found.message, found.mailbox, found.value

    async def delete(self) -> bool:
        """Delete the box on the server (its mail kept here as archived); False if already gone."""
        on_server = await self._mail._live().delete_mailbox(self.address)
        self.deleted = True
        return on_server

    def _message(self, message: ApiMessage, mailbox: str) -> AsyncMessage:
        attachments = tuple(
            AsyncAttachment(
                name=a.name,
                size=a.size,
                extension=a.extension,
                _save=partial(self._save, message.id, a),
            )
            for a in message.attachments
        )
        return AsyncMessage(mailbox, message, attachments)

    async def _save(self, message_id: str, attachment: ApiAttachment, directory: Path) -> Path:
        return await self._mail._live().save_attachment(message_id, attachment, directory)
