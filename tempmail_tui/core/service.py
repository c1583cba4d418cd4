"""The mail service: the API client, the local store and the renderer working together."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from tempmail_tui.api.client import TempMailClient
from tempmail_tui.api.errors import ApiError, NotFoundError
from tempmail_tui.api.models import Attachment, DomainList, Quota
from tempmail_tui.core.reading import ReadingAids, reading_aids
from tempmail_tui.core.render import HtmlRenderer, RenderCache, Rendered
from tempmail_tui.core.savefile import AtomicDownload
from tempmail_tui.core.store import Store, StoredMailbox, StoredMessage, SyncResult

ProgressCallback = Callable[[int, int | None], None]

#: HTML beyond this many characters is not converted for reading (the reader shows the
#: beginning of a long text anyway); the rendering says so.
READER_HTML_LIMIT = 1_000_000
READER_HTML_NOTICE = "The message is over 1 MB; only its beginning is shown."


@dataclass(frozen=True, slots=True)
class PollResult:
    """What one poll of a mailbox found."""

    email: str
    sync: SyncResult
    # None when nothing changed, so the UI has nothing to rebuild.
    messages: tuple[StoredMessage, ...] | None
    # The first fill of a box the store knew nothing of: its mail is not "new".
    initial: bool

    @property
    def changed(self) -> bool:
        """Whether anything in the mailbox changed."""
        return self.messages is not None


@dataclass(frozen=True, slots=True)
class OpenedMessage:
    """A message opened for reading, with its converted body, code and links."""

    message: StoredMessage
    rendered: Rendered
    aids: ReadingAids
    # Set when the server could not be asked and the stored copy is shown.
    notice: str | None = None


class MailService:
    """High-level operations; its coroutines run on the background loop, never the UI's."""

    def __init__(self, client: TempMailClient, store: Store, renderer: HtmlRenderer) -> None:
        self.client = client
        self.store = store
        self.renderer = renderer
        self.cache = RenderCache()
        self._synced: set[str] = set()
        self._domains: DomainList | None = None

    @property
    def quota(self) -> Quota | None:
        """The last quota figures the server sent."""
        return self.client.quota

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self.client.aclose()

    # Mailboxes -------------------------------------------------------------------------

    def mailboxes(self) -> list[StoredMailbox]:
        """Every known mailbox, newest first."""
        return self.store.mailboxes()

    def unread_counts(self) -> dict[str, int]:
        """Unread messages per mailbox."""
        return self.store.unread_counts()

    async def create_mailbox(self) -> StoredMailbox:
        """Create a random mailbox on the server and remember it."""
        mailbox = await self.client.create_mailbox()
        return self.store.add_mailbox(mailbox)

    async def domains(self) -> DomainList:
        """The domains the account may use (fetched once per session)."""
        if self._domains is None:
            try:
                self._domains = await self.client.domains("all")
            except ApiError:
                # A free plan may not ask for "all": fall back to the free ones.
                self._domains = await self.client.domains("free")
        return self._domains

    async def rename_mailbox(self, email: str, username: str, domain: str) -> StoredMailbox:
        """Move a mailbox to a new address; its stored mail follows it."""
        mailbox = await self.client.rename_mailbox(email, username, domain)
        self._synced.discard(email)
        return self.store.rename_mailbox(email, mailbox)

    async def delete_mailbox(self, email: str) -> None:
        """Delete a mailbox on the server; its stored mail stays readable as archived."""
        # Already gone on the server: archiving it locally is still what the user wants.
        with contextlib.suppress(NotFoundError):
            await self.client.delete_mailbox(email)
        self.store.mark_mailbox_gone(email, "deleted")
        self._synced.discard(email)

    async def add_address(self, email: str) -> StoredMailbox:
        """Follow an existing address typed by hand, checking the server knows it."""
        await self.client.list_messages(email)
        return self.store.add_manual_address(email)

    # Messages --------------------------------------------------------------------------

    def messages(self, email: str) -> list[StoredMessage]:
        """The stored messages of a mailbox, newest first."""
        return self.store.messages(email)

    async def poll(self, email: str) -> PollResult:
        """Fetch a mailbox's messages and merge them into the store."""
        initial = email not in self._synced and not self.store.messages(email)
        try:
            listing = await self.client.list_messages(email)
        except NotFoundError:
            # Expired or deleted on the server: keep its mail, stop polling it.
            self.store.mark_mailbox_gone(email, "expired")
            raise
        sync = self.store.sync_messages(email, listing.messages)
        first_this_session = email not in self._synced
        self._synced.add(email)
        changed = first_this_session or bool(sync.new or sync.changed or sync.archived)
        messages = tuple(self.store.messages(email)) if changed else None
        return PollResult(email, sync, messages, initial)

    async def open_message(self, message_id: str) -> OpenedMessage:
        """Read a message from the server (marking it seen) and convert its body."""
        notice: str | None = None
        stored = self.store.message(message_id)
        try:
            if stored is None or not stored.archived:
                fresh = await self.client.read_message(message_id)
                mailbox = stored.mailbox if stored is not None else fresh.to
                self.store.upsert_message(mailbox, fresh)
        except NotFoundError:
            notice = "This message is no longer on the server; showing the stored copy."
        except ApiError as error:
            if stored is None:
                raise
            notice = f"Could not reach the server ({error.summary}); showing the stored copy."
        self.store.mark_seen(message_id)
        message = self.store.message(message_id)
        if message is None:
            raise NotFoundError("The message is not on the server or in the local store")
        rendered = await self.render(message)
        aids = await asyncio.get_running_loop().run_in_executor(
            None,
            lambda: reading_aids(
                message.subject, message.content, is_html=message.is_html, rendered=rendered
            ),
        )
        return OpenedMessage(message, rendered, aids, notice)

    async def render(self, message: StoredMessage) -> Rendered:
        """The readable body of a message, converted in a worker process and cached."""
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

    async def delete_message(self, message_id: str) -> None:
        """Delete a message on the server and locally."""
        # Gone already: still remove our copy.
        with contextlib.suppress(NotFoundError):
            await self.client.delete_message(message_id)
        self.store.delete_message(message_id)

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
