"""The mail use cases: the API client, the local store and the renderer working together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from tempmail_tui.api.client import TempMailClient
from tempmail_tui.api.errors import ApiError, NotFoundError
from tempmail_tui.api.models import (
    Attachment,
    DomainList,
    Message,
    MessageList,
    Quota,
    UnreadableMessage,
)
from tempmail_tui.core.reading import ReadingAids, reading_aids
from tempmail_tui.core.render import HtmlRenderer, RenderCache, Rendered
from tempmail_tui.core.savefile import AtomicDownload
from tempmail_tui.core.store import Store, StoredMailbox, StoredMessage, StoreError, SyncResult

log = logging.getLogger(__name__)

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
    # Messages the server listed that could not be read (the others are in ``messages``).
    unreadable: tuple[UnreadableMessage, ...] = ()
    # Why the local store could not take this poll's mail (disk full, read-only): the
    # mail is then in ``messages`` from memory until a later poll can store it.
    store_error: StoreError | None = None

    @property
    def changed(self) -> bool:
        """Whether anything in the mailbox changed."""
        return self.messages is not None


def to_sync(store: Store, email: str, listing: MessageList) -> list[Message]:
    """The listing's messages plus the stored copy of each listed one that was unreadable.

    A message the server still lists is not gone even when it cannot be read now: without
    its stored copy the sync would archive it.
    """
    messages = list(listing.messages)
    listed = {m.id for m in messages}
    for entry in listing.unreadable:
        if entry.id is None or entry.id in listed:
            continue
        stored = store.message(entry.id)
        if stored is not None and stored.mailbox.casefold() == email.casefold():
            messages.append(stored.to_message())
            listed.add(entry.id)
    return messages


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
        # Boxes whose next poll reports their messages even if the sync found nothing:
        # another process changed the store, so what the list shows may be stale.
        self._outdated: set[str] = set()
        # Mail the server listed that the store could not take (disk full, read-only),
        # per box, shown from memory until a poll can store it.
        self._held: dict[str, dict[str, StoredMessage]] = {}
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
        """Unread messages per mailbox, mail not stored yet included."""
        counts = self.store.unread_counts()
        for email, held in self._held.items():
            extra = sum(1 for m in held.values() if not m.is_seen)
            if extra:
                counts[email] = counts.get(email, 0) + extra
        return counts

    def store_changed_elsewhere(self) -> bool:
        """Whether another process changed the store since the last look (cheap).

        If so, the next poll of every box reports its messages, so a list shown from
        before the change is replaced even when that poll finds nothing new.
        """
        if not self.store.changed_elsewhere():
            return False
        self._outdated |= self._synced
        return True

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
        """The stored messages of a mailbox, newest first, with any the store could not take."""
        stored = self.store.messages(email)
        held = self._held.get(email)
        return _merged(stored, held) if held else stored

    def _has_mail(self, email: str) -> bool:
        """Whether the box has mail here; True when the store cannot say, so news is told."""
        try:
            return bool(self.messages(email))
        except StoreError as error:
            log.warning("could not read the stored mail of %s: %s", email, error)
            return True

    def _mark_gone(self, email: str) -> None:
        """Record that the server no longer has a box; a store failure is logged, not raised."""
        try:
            self.store.mark_mailbox_gone(email, "expired")
        except StoreError as error:
            # The box's 404 is what the user must hear about; the store is told next time.
            log.warning("could not record that %s is gone: %s", email, error)

    def _hold(
        self, email: str, listing: Sequence[Message], error: StoreError
    ) -> tuple[SyncResult, tuple[StoredMessage, ...]]:
        """Keep a listing the store could not take in memory: what is new, and the box as shown."""
        log.warning("%s: the mail of %s is kept in memory until it can be stored", error, email)
        try:
            stored = self.store.messages(email)
        except StoreError:
            stored = []
        known = {m.id for m in stored}
        before = self._held.get(email, {})
        now = datetime.now(UTC)
        held: dict[str, StoredMessage] = {}
        for msg in listing:
            if msg.id in known:
                continue
            old = before.get(msg.id)
            held[msg.id] = StoredMessage.from_message(
                msg,
                email,
                fetched_at=old.fetched_at if old is not None else now,
                seen=msg.is_seen or (old is not None and old.is_seen),
            )
        self._held[email] = held
        new = tuple(mid for mid in held if mid not in before)
        return SyncResult(new=new), tuple(_merged(stored, held))

    def _after_sync(
        self, email: str, sync: SyncResult, first_this_session: bool
    ) -> tuple[SyncResult, tuple[StoredMessage, ...] | None, StoreError | None]:
        """What a stored poll reports: the sync, the box's messages if it changed, a read error."""
        held = self._held.pop(email, {})
        if held:
            # Mail shown from memory was announced then: being stored now is no news.
            again = tuple(mid for mid in sync.new if mid in held)
            sync = SyncResult(
                new=tuple(mid for mid in sync.new if mid not in held),
                changed=sync.changed + again,
                archived=sync.archived,
            )
            log.info("the mail of %s held in memory is stored now", email)
        outdated = email in self._outdated
        self._outdated.discard(email)
        if not (first_this_session or outdated or held or sync.any):
            return sync, None, None
        try:
            return sync, tuple(self.store.messages(email)), None
        except StoreError as error:
            # Stored but not read back: the next poll shows it.
            self._outdated.add(email)
            return sync, None, error

    async def poll(self, email: str) -> PollResult:
        """Fetch a mailbox's messages and merge them into the store."""
        initial = email not in self._synced and not self._has_mail(email)
        try:
            # One request per poll: the schedule owns the back-off between polls, and
            # retries inside one would hide a silent server for minutes.
            listing = await self.client.list_messages(email, retries=0)
        except NotFoundError:
            # Expired or deleted on the server: keep its mail, stop polling it.
            self._mark_gone(email)
            raise
        first_this_session = email not in self._synced
        self._synced.add(email)
        messages: tuple[StoredMessage, ...] | None
        store_error: StoreError | None = None
        try:
            sync = self.store.sync_messages(email, to_sync(self.store, email, listing))
        except StoreError as error:
            # A full disk or a read-only store: the new mail is shown from memory meanwhile.
            store_error = error
            sync, messages = self._hold(email, listing.messages, error)
        else:
            sync, messages, store_error = self._after_sync(email, sync, first_this_session)
        return PollResult(email, sync, messages, initial, listing.unreadable, store_error)

    async def open_message(self, message_id: str) -> OpenedMessage:
        """Read a message from the server (marking it seen) and convert its body."""
        notice: str | None = None
        stored = self.store.message(message_id)
        held = self._held_message(message_id)
        fresh: Message | None = None
        unstored: StoreError | None = None
        try:
            if stored is None or not stored.archived:
                fresh = await self.client.read_message(message_id)
                if stored is not None:
                    mailbox = stored.mailbox
                else:
                    mailbox = held.mailbox if held is not None else fresh.to
                try:
                    self.store.upsert_message(mailbox, fresh)
                except StoreError as error:
                    unstored = error
        except NotFoundError:
            notice = "This message is no longer on the server; showing the stored copy."
        except ApiError as error:
            if stored is None and held is None:
                raise
            notice = f"Could not reach the server ({error.summary}); showing the stored copy."
        try:
            self.store.mark_seen(message_id)
        except StoreError as error:
            # Seen for this session only; the store's trouble is already on the status line.
            log.info("could not mark %s seen in the store: %s", message_id, error)
        message = self.store.message(message_id)
        if message is None:
            message = self._open_in_memory(message_id, fresh, held)
            if message is None:
                raise NotFoundError("The message is not on the server or in the local store")
            if unstored is not None:
                log.warning("message %s shown but not stored: %s", message_id, unstored)
                notice = notice or f"This message is shown but not kept: {unstored}."
        elif not message.is_seen:
            message = replace(message, is_seen=True)
        rendered = await self.render(message)
        aids = await asyncio.get_running_loop().run_in_executor(
            None,
            lambda: reading_aids(
                message.subject, message.content, is_html=message.is_html, rendered=rendered
            ),
        )
        return OpenedMessage(message, rendered, aids, notice)

    def _held_message(self, message_id: str) -> StoredMessage | None:
        """A message shown from memory (not stored yet), or None."""
        for held in self._held.values():
            if message_id in held:
                return held[message_id]
        return None

    def _open_in_memory(
        self, message_id: str, fresh: Message | None, held: StoredMessage | None
    ) -> StoredMessage | None:
        """A message the store could not take, as read now (seen) or as last listed."""
        if fresh is not None:
            mailbox = held.mailbox if held is not None else fresh.to
            now = datetime.now(UTC)
            opened = StoredMessage.from_message(fresh, mailbox, fetched_at=now, seen=True)
        elif held is not None:
            opened = replace(held, is_seen=True)
        else:
            return None
        box = self._held.get(opened.mailbox)
        if box is not None and message_id in box:
            box[message_id] = opened
        return opened

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


def _merged(stored: list[StoredMessage], held: Mapping[str, StoredMessage]) -> list[StoredMessage]:
    """Stored messages plus held ones not stored, in the store's order (newest first, id)."""
    ids = {m.id for m in stored}
    extra = [m for m in held.values() if m.id not in ids]
    if not extra:
        return stored
    return sorted([*stored, *extra], key=lambda m: (-m.received_at.timestamp(), m.id))
