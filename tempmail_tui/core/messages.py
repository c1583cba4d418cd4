"""The message use cases of the mail service: load, open, render, delete and save."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from tempmail_tui.api.errors import ApiError, NotFoundError
from tempmail_tui.api.models import Attachment, Message
from tempmail_tui.core.held import HeldMail
from tempmail_tui.core.reading import reading_aids
from tempmail_tui.core.render import HtmlRenderer, RenderCache, Rendered
from tempmail_tui.core.results import LoadedMessage, OpenedMessage
from tempmail_tui.core.savefile import AtomicDownload
from tempmail_tui.core.store import Store, StoredMessage, StoreError
from tempmail_tui.core.store_thread import StoreThread

if TYPE_CHECKING:
    from tempmail_tui.api.client import TempMailClient
    from tempmail_tui.core.extract import CodeRule

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int | None], None]

#: HTML beyond this many characters is not converted for reading (the reader shows the
#: beginning of a long text anyway); the rendering says so.
READER_HTML_LIMIT = 1_000_000
READER_HTML_NOTICE = "The message is over 1 MB; only its beginning is shown."
GONE_NOTICE = "This message is no longer on the server; showing the stored copy."


def _filed_as(stored: StoredMessage | None, fresh: Message, mailbox: str) -> bool:
    """Whether the store already holds this very message, live, in this box.

    Writing it again would only extract and index the same text: for a long newsletter,
    tens of milliseconds of pure Python beside the reader drawing it.
    """
    if stored is None or stored.archived or stored.mailbox != mailbox:
        return False
    return replace(stored.to_message(), is_seen=fresh.is_seen) == fresh


class MessageCases:
    """One message's use cases; ``MailService`` (core/mail.py) holds the state they share."""

    client: TempMailClient
    store: Store
    renderer: HtmlRenderer
    cache: RenderCache
    code_rules: Sequence[CodeRule]
    _db: StoreThread
    _held: HeldMail

    async def load_message(self, message_id: str, *, refresh: bool = True) -> LoadedMessage:
        """Read a message from the server (marking it seen), else the copy kept here.

        Without ``refresh`` a stored copy is used as it is, with no request. The message is
        filed under the box it was listed in: never under the ``to`` its sender wrote.
        """
        stored = await self._db.run(self.store.message, message_id)
        held = self._held.message(message_id)
        known = stored if stored is not None else held
        mailbox = known.mailbox if known is not None else None
        if stored is not None and not refresh:
            return LoadedMessage(stored, mailbox)
        fresh: Message | None = None
        notice: str | None = None
        server_error: ApiError | None = None
        if stored is None or not stored.archived:
            try:
                fresh = await self.client.read_message(message_id)
            except ApiError as error:
                if known is None:
                    raise
                server_error = error
                notice = (
                    GONE_NOTICE
                    if isinstance(error, NotFoundError)
                    else f"Could not reach the server ({error.summary}); showing the stored copy."
                )
        message, unstored = await self._db.run(self._file_read, message_id, mailbox, fresh, stored)
        if message is None:
            message = self._held.opened(message_id, fresh, mailbox)
            if message is None:
                raise NotFoundError("The message is not on the server or in the local store")
            if unstored is not None:
                log.warning("message %s shown but not stored: %s", message_id, unstored)
                notice = notice or f"This message is shown but not kept: {unstored}."
        elif not message.is_seen:
            message = replace(message, is_seen=True)
        return LoadedMessage(message, mailbox, notice, server_error)

    def _file_read(
        self,
        message_id: str,
        mailbox: str | None,
        fresh: Message | None,
        stored: StoredMessage | None,
    ) -> tuple[StoredMessage | None, StoreError | None]:
        """File a message just read and mark it seen (store thread); the stored copy, or why not."""
        unstored: StoreError | None = None
        if fresh is not None and mailbox is not None and not _filed_as(stored, fresh, mailbox):
            try:
                self.store.upsert_message(mailbox, fresh)
            except StoreError as error:
                unstored = error
        try:
            self.store.mark_seen(message_id)
        except StoreError as error:
            # Seen for this session only; the store's trouble is already on the status line.
            log.info("could not mark %s seen in the store: %s", message_id, error)
        return self.store.message(message_id), unstored

    async def open_message(self, message_id: str) -> OpenedMessage:
        """Read a message from the server (marking it seen) and convert its body."""
        loaded = await self.load_message(message_id)
        message = loaded.message
        rendered = await self.render(message)
        aids = await asyncio.get_running_loop().run_in_executor(
            None,
            lambda: reading_aids(
                message.subject,
                message.content,
                is_html=message.is_html,
                rendered=rendered,
                sender=(message.from_name, message.from_email),
                rules=self.code_rules,
            ),
        )
        return OpenedMessage(message, rendered, aids, loaded.notice)

    async def render(self, message: StoredMessage) -> Rendered:
        """The readable body of a message, converted off the UI thread and cached."""
        cached = self.cache.get(message.id)
        if cached is not None:
            return cached
        content, cut = message.content, False
        if message.is_html and len(content) > READER_HTML_LIMIT:
            # The reader shows the beginning of a long text only; converting megabytes of
            # HTML past it would keep the user waiting seconds for text never shown.
            content, cut = content[:READER_HTML_LIMIT], True
        loop = asyncio.get_running_loop()
        rendered = await loop.run_in_executor(
            None, lambda: self.renderer.render(content, is_html=message.is_html)
        )
        if cut:
            notice = " ".join(n for n in (READER_HTML_NOTICE, rendered.notice) if n)
            rendered = replace(rendered, notice=notice)
        self.cache.put(message.id, rendered)
        return rendered

    async def delete_message(self, message_id: str) -> bool:
        """Delete a message on the server and here; False if the server no longer had it.

        Raises NotFoundError when neither the server nor this machine has the message.
        """
        try:
            await self.client.delete_message(message_id)
        except NotFoundError:
            # Gone already: our copy is still removed, if there is one.
            here = self._held.message(message_id) is not None
            if not here and await self._db.run(self.store.message, message_id) is None:
                raise
            on_server = False
        else:
            on_server = True
        await self._db.run(self.store.delete_message, message_id)
        self._held.forget(message_id)
        return on_server

    async def save_attachment(
        self,
        message_id: str,
        attachment: Attachment,
        directory: Path,
        progress: ProgressCallback | None = None,
    ) -> Path:
        """Stream one attachment into the download directory under a safe, free name."""
        with AtomicDownload(directory, attachment.name, expected_size=attachment.size) as out:
            async with self.client.stream_attachment(
                message_id, attachment.name, url=attachment.url
            ) as chunks:
                async for chunk in chunks:
                    out.write(chunk)
                    if progress is not None:
                        progress(out.written, attachment.size)
            return out.commit()
