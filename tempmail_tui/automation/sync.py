"""The synchronous Python API: ``TempMail`` runs the async one on a private event-loop thread."""

from __future__ import annotations

import os
from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from tempmail_tui.automation.aio import DEFAULT_TIMEOUT, AsyncBox, AsyncTempMail, Pattern
from tempmail_tui.automation.errors import SessionClosedError
from tempmail_tui.automation.records import AsyncAttachment, AsyncMessage, Attachment, Message
from tempmail_tui.core.background import BackgroundLoop

T = TypeVar("T")


class TempMail:
    """A session on the Temp Mail API (or a sandbox): ``with TempMail() as mail``.

    The key, base URL and store are found as the command line finds them; ``api_key``,
    ``base_url``, ``store_path`` and ``poll_interval`` override them. The work runs on a
    private event-loop thread, so a call may come from any thread, one inside a running
    loop included (it blocks that loop: async code should use ``AsyncTempMail``).
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        store_path: str | os.PathLike[str] | None = None,
        poll_interval: float | None = None,
    ) -> None:
        self._async = AsyncTempMail(
            api_key=api_key, base_url=base_url, store_path=store_path, poll_interval=poll_interval
        )
        self._io: BackgroundLoop | None = BackgroundLoop("tempmail-api")
        try:
            self._io.call(self._async.open())
        except BaseException:
            self._io.close()
            self._io = None
            raise
        self._created: list[Box] = []

    def __repr__(self) -> str:
        return repr(self._async).replace("AsyncTempMail", "TempMail", 1)

    @property
    def base_url(self) -> str:
        """The API base URL this session talks to."""
        return self._async.base_url

    @property
    def closed(self) -> bool:
        """Whether ``close`` was called."""
        return self._io is None

    @property
    def created(self) -> tuple[Box, ...]:
        """The boxes this session made with ``new``, oldest first."""
        return tuple(self._created)

    def close(self) -> None:
        """Close the session and its thread; using it afterwards raises SessionClosedError."""
        io, self._io = self._io, None
        if io is not None:
            try:
                io.call(self._async.aclose())
            finally:
                io.close()

    def __enter__(self) -> TempMail:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run one of the async API's coroutines on the session's thread and return its result."""
        if self._io is None:
            coro.close()
            raise SessionClosedError("this TempMail session is closed")
        future = self._io.submit(coro)
        try:
            return future.result()
        except BaseException:
            # Ctrl-C in the caller's thread must not leave the work running behind it.
            future.cancel()
            raise

    def new(self, label: str | None = None, *, labels: Sequence[str] = ()) -> Box:
        """Create a new random mailbox, labelled; every message it ever gets counts as new."""
        box = Box(self, self._run(self._async.new(label, labels=labels)))
        self._created.append(box)
        return box

    def box(self, address: str) -> Box:
        """Attach to an existing box (checked with the server); mail already in it is not new."""
        return Box(self, self._run(self._async.box(address)))

    def boxes(self, *, label: str | None = None) -> list[Box]:
        """The live boxes this machine knows (with ``label``, those carrying it), newest first."""
        return [Box(self, box) for box in self._run(self._async.boxes(label=label))]


class Box:
    """One mailbox of a ``TempMail`` session: its address, its mail, waiting for more."""

    def __init__(self, mail: TempMail, inner: AsyncBox) -> None:
        self._mail = mail
        self._inner = inner

    def __repr__(self) -> str:
        return repr(self._inner).replace("AsyncBox", "Box", 1)

    def __str__(self) -> str:
        return self.address

    @property
    def address(self) -> str:
        """The mail address, to type into the form under test."""
        return self._inner.address

    @property
    def expires_at(self) -> datetime | None:
        """When the server deletes the box (None when not known here)."""
        return self._inner.expires_at

    @property
    def labels(self) -> tuple[str, ...]:
        """What the box is for, as labelled (tidied by the core)."""
        return self._inner.labels

    @property
    def deleted(self) -> bool:
        """Whether ``delete`` was called on this box."""
        return self._inner.deleted

    def set_labels(self, *labels: str) -> tuple[str, ...]:
        """Replace the box's labels (kept in the local store, no request); the labels kept."""
        return self._mail._run(self._inner.set_labels(*labels))

    def messages(self) -> list[Message]:
        """Every message in the box now, newest first (one request)."""
        return [self._message(m) for m in self._mail._run(self._inner.messages())]

    def wait(
        self,
        *,
        subject: Pattern | None = None,
        sender: Pattern | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        existing: bool = False,
    ) -> Message:
        """The next new message whose subject and sender match (see ``AsyncBox.wait``).

        Raises WaitTimedOut when none arrives within ``timeout`` seconds.
        """
        found = self._inner.wait(subject=subject, sender=sender, timeout=timeout, existing=existing)
        return self._message(self._mail._run(found))

    def wait_for_code(
        self,
        *,
        subject: Pattern | None = None,
        sender: Pattern | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        existing: bool = False,
    ) -> str:
        """The verification code of the next new matching message that carries one."""
        return self._mail._run(
            self._inner.wait_for_code(
                subject=subject, sender=sender, timeout=timeout, existing=existing
            )
        )

    def wait_for_link(
        self,
        *,
        subject: Pattern | None = None,
        sender: Pattern | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        existing: bool = False,
    ) -> str:
        """The action link of the next new matching message that carries one."""
        return self._mail._run(
            self._inner.wait_for_link(
                subject=subject, sender=sender, timeout=timeout, existing=existing
            )
        )

    def delete(self) -> bool:
        """Delete the box on the server (its mail kept here as archived); False if already gone."""
        return self._mail._run(self._inner.delete())

    def _message(self, message: AsyncMessage) -> Message:
        """The same message with attachments whose ``save`` blocks on the session's thread."""
        attachments = tuple(
            Attachment(name=a.name, size=a.size, extension=a.extension, _save=self._saver(a))
            for a in message.attachments
        )
        return Message(message.mailbox, message._source, attachments)

    def _saver(self, attachment: AsyncAttachment) -> Callable[[Path], Path]:
        """A blocking save of an attachment, run on the session's thread."""

        def save(directory: Path) -> Path:
            return self._mail._run(attachment.save(directory))

        return save
