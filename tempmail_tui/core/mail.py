"""The mail use cases: the API client, the local store and the renderer working together."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from tempmail_tui.api.errors import ApiError, NotFoundError
from tempmail_tui.api.models import (
    Attachment,
    DomainList,
    Mailbox,
    Message,
    MessageList,
    Quota,
)
from tempmail_tui.core.archive import Archive
from tempmail_tui.core.held import HeldMail
from tempmail_tui.core.labels import clean_labels, has_label
from tempmail_tui.core.reading import reading_aids
from tempmail_tui.core.render import HtmlRenderer, RenderCache, Rendered
from tempmail_tui.core.results import Fetched, LoadedMessage, OpenedMessage, PollResult
from tempmail_tui.core.savefile import AtomicDownload
from tempmail_tui.core.schedule import SharedUse
from tempmail_tui.core.store import (
    PollerBeat,
    SearchHit,
    Store,
    StoredMailbox,
    StoredMessage,
    StoreError,
    SyncResult,
)
from tempmail_tui.core.store.plan import SyncPlan
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
#: Seconds a poll's write waits for the screen to draw the mail it brought (see poll).
WRITE_DELAY = 0.25


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


def _filed_as(stored: StoredMessage | None, fresh: Message, mailbox: str) -> bool:
    """Whether the store already holds this very message, live, in this box.

    Writing it again would only extract and index the same text: for a long newsletter,
    tens of milliseconds of pure Python beside the reader drawing it.
    """
    if stored is None or stored.archived or stored.mailbox != mailbox:
        return False
    return replace(stored.to_message(), is_seen=fresh.is_seen) == fresh


def newest_first(messages: Iterable[Message]) -> tuple[Message, ...]:
    """Messages newest first; stable, so mail of the same second keeps the server's order."""
    return tuple(sorted(messages, key=lambda m: m.received_at, reverse=True))


class MailService:
    """Every mail operation of every front end; its coroutines run on one loop, never the UI's.

    Store calls run on the service's store thread, so a busy database never holds up a
    request on the loop.
    """

    def __init__(
        self,
        client: TempMailClient,
        store: Store,
        renderer: HtmlRenderer,
        *,
        db: StoreThread | None = None,
        code_rules: Sequence[CodeRule] = (),
    ) -> None:
        self.client = client
        #: config.toml's [[codes]] rules: the code of an opened message is chosen with them.
        self.code_rules = tuple(code_rules)
        self.store = store
        self.renderer = renderer
        self.cache = RenderCache()
        self._own_db = db is None
        self._db = db if db is not None else StoreThread()
        self._synced: set[str] = set()
        # Boxes whose next poll reports their messages even if the sync found nothing:
        # another process changed the store, so what the list shows may be stale.
        self._outdated: set[str] = set()
        self._held = HeldMail()
        # Polls whose mail is shown and still being written (see poll).
        self._storing: set[asyncio.Future[StoreError | None]] = set()
        self._domains: DomainList | None = None
        # Pollers of this process in the shared budget, removed when the service closes.
        self._pollers: set[str] = set()
        #: Archived boxes: listing them and forgetting them here (no request).
        self.archive = Archive(store, self._db, forgotten=self._forgotten)

    def _forgotten(self, email: str) -> None:
        """Drop what the session holds of a box just forgotten here."""
        self._synced.discard(email)
        self._outdated.discard(email)
        self._held.drop(email)

    @property
    def quota(self) -> Quota | None:
        """The last quota figures the server sent."""
        return self.client.quota

    async def aclose(self) -> None:
        """Finish the writes of polls already shown, then close the client and store thread."""
        if self._storing:
            await asyncio.gather(*self._storing, return_exceptions=True)
        for poller in list(self._pollers):
            await self.leave_budget(poller)
        await self.client.aclose()
        if self._own_db:
            # Joining waits for a store call in progress: not on the loop.
            await asyncio.to_thread(self._db.close)

    # The quota shared with the other processes --------------------------------------

    async def share_budget(self, beat: PollerBeat) -> SharedUse | None:
        """Record a poller's heartbeat; what the other live pollers project, or None.

        None means this process plans alone: no other poller is known, or the store
        cannot record heartbeats (read-only, in memory, failing), which is only logged.
        """
        self._pollers.add(beat.id)
        try:
            others = await self._db.run(self.store.beat_poller, beat)
        except StoreError as error:
            log.info("planning the quota alone: the local store cannot share it (%s)", error)
            return None
        if others is None or others.count == 0:
            return None
        return SharedUse(others.count, others.projected)

    async def leave_budget(self, poller_id: str) -> None:
        """Take a poller out of the shared budget (it stops polling)."""
        self._pollers.discard(poller_id)
        try:
            await self._db.run(self.store.leave_poller, poller_id)
        except StoreError as error:
            # Its heartbeat stops: the others drop it once it is stale.
            log.info("could not take poller %s out of the shared budget: %s", poller_id, error)

    # Mailboxes -------------------------------------------------------------------------

    async def mailboxes(self) -> list[StoredMailbox]:
        """Every known mailbox, newest first."""
        return await self._db.run(self.store.mailboxes)

    async def mailbox(self, email: str) -> StoredMailbox | None:
        """One known mailbox by address (case-insensitive), or None."""
        return await self._db.run(self.store.mailbox, email)

    async def unread_counts(self) -> dict[str, int]:
        """Unread messages per mailbox, mail not stored yet included."""
        counts = await self._db.run(self.store.unread_counts)
        for email, extra in self._held.unread().items():
            counts[email] = counts.get(email, 0) + extra
        return counts

    async def store_changed_elsewhere(self) -> bool:
        """Whether another process changed the store since the last look (cheap).

        If so, the next poll of every box reports its messages, so a list shown from
        before the change is replaced even when that poll finds nothing new.
        """
        if not await self._db.run(self.store.changed_elsewhere):
            return False
        self._outdated |= self._synced
        return True

    async def create_mailbox(self, labels: Sequence[str] = ()) -> Mailbox:
        """Create a random mailbox on the server and remember it, labelled; the server's record.

        The labels are checked first (``LabelError``), so a bad one costs no request.
        """
        wanted = clean_labels(labels)
        mailbox = await self.client.create_mailbox()
        await self._db.run(self.store.add_mailbox, mailbox)
        if wanted:
            await self._db.run(self.store.set_labels, mailbox.email, wanted)
        return mailbox

    async def set_labels(self, email: str, labels: Sequence[str]) -> StoredMailbox:
        """Replace a known box's labels (no request); ``LabelError`` for a bad one."""
        return await self.archive.set_labels(email, labels)

    async def labelled(self, label: str) -> list[StoredMailbox]:
        """The known boxes carrying ``label`` (ignoring case), newest first; no request."""
        return [box for box in await self.mailboxes() if has_label(box.labels, label)]

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
        return await self._db.run(self.store.rename_mailbox, email, mailbox)

    async def delete_mailbox(self, email: str) -> bool:
        """Delete a mailbox on the server, its stored mail kept as archived; False if already gone.

        Raises NotFoundError when neither the server nor this machine knows the box.
        """
        try:
            await self.client.delete_mailbox(email)
        except NotFoundError:
            # Already gone on the server: archiving it here is still what the user wants.
            if not await self._db.run(self._archive, email, "deleted"):
                raise
            on_server = False
        else:
            await self._db.run(self._archive, email, "deleted")
            on_server = True
        self._synced.discard(email)
        return on_server

    async def add_address(self, email: str) -> StoredMailbox:
        """Follow an existing address typed by hand, checking the server knows it."""
        await self.client.list_messages(email)
        return await self._db.run(self.store.add_manual_address, email)

    def _archive(self, email: str, state: Literal["expired", "deleted"]) -> bool:
        """Mark a known box gone, its mail archived (store thread); False if it is unknown."""
        known = self.store.mailbox(email)
        if known is None:
            return False
        # An expiry seen later does not undo a deletion or a rename.
        if known.is_live or state == "deleted":
            self.store.mark_mailbox_gone(known.email, state)
        return True

    def _remember(self, address: str) -> str | None:
        """The box as the store spells it, added if not live (store thread); None if too long."""
        known = self.store.mailbox(address)
        if known is not None and known.is_live:
            return known.email
        try:
            # The server just listed it, so it exists: remember it for the reader.
            return self.store.add_manual_address(address).email
        except ValueError:
            # The server accepted an address the store cannot hold (over 320 characters).
            return None

    # Fetching and polling --------------------------------------------------------------

    async def _list(self, email: str, retries: int | None) -> MessageList:
        """The server's listing of a box; a 404 marks the box gone here before it is raised."""
        try:
            return await self.client.list_messages(email, retries=retries)
        except NotFoundError:
            # Expired or deleted on the server: keep its mail, stop polling it.
            try:
                await self._db.run(self._archive, email, "expired")
            except StoreError as error:
                # The box's 404 is what the user must hear about; the store is told next time.
                log.warning("could not record that %s is gone: %s", email, error)
            raise

    async def _sync(self, email: str, listing: MessageList) -> SyncResult:
        """Merge a listing into the store (store thread); StoreError when it cannot take it."""
        return await self._db.run(
            lambda: self.store.sync_messages(email, to_sync(self.store, email, listing))
        )

    async def fetch(
        self, address: str, *, retries: int | None = None, or_stored: bool = False
    ) -> Fetched:
        """List a box on the server now, remember it and store its mail.

        ``retries`` overrides the client's for this request. With ``or_stored`` a box gone on
        the server gives the copies stored here (``gone``) instead of NotFoundError.
        """
        try:
            listing = await self._list(address, retries)
        except NotFoundError:
            known = await self.mailbox(address) if or_stored else None
            if known is None:
                raise
            stored = await self.messages(known.email)
            return Fetched(known.email, tuple(m.to_message() for m in stored), gone=True)
        messages = newest_first(listing.messages)
        mailbox: str | None = None
        try:
            mailbox = await self._db.run(self._remember, address)
            if mailbox is not None:
                await self._sync(mailbox, listing)
        except StoreError as error:
            # A read-only or full store must not cost the caller the mail just listed.
            return Fetched(mailbox or address, messages, listing.unreadable, error)
        return Fetched(mailbox or address, messages, listing.unreadable)

    async def poll(self, email: str) -> PollResult:
        """Fetch a mailbox's messages: the box as it will be stored, before it is written.

        The write (rows and search index) follows on the store thread, behind this poll's
        read and before any later store call; ``PollResult.storing`` says how it went. If
        it fails the mail is held in memory and still shown.
        """
        # One request per poll: the schedule owns the back-off between polls, and
        # retries inside one would hide a silent server for minutes.
        listing = await self._list(email, retries=0)
        first_this_session = email not in self._synced
        self._synced.add(email)
        outdated = email in self._outdated
        self._outdated.discard(email)
        held = self._held.holds(email)
        try:
            plan = await self._db.run(
                lambda: self.store.plan_sync(
                    email,
                    to_sync(self.store, email, listing),
                    view=first_this_session or outdated or held,
                )
            )
        except StoreError as error:
            # A store that cannot even be read: the new mail is shown from memory meanwhile.
            if outdated:
                self._outdated.add(email)
            sync, messages = await self._hold(email, listing.messages, error)
            # The store cannot say whether the box had mail: its mail is told as news.
            return PollResult(email, sync, messages, False, listing.unreadable, error)
        # Queued now, so every later store call (a read, a second poll) comes after it.
        write = self._db.submit(self._write_after_paint, plan)
        storing = asyncio.ensure_future(self._finish_storing(email, write, listing))
        self._storing.add(storing)
        storing.add_done_callback(self._storing.discard)
        # Mail shown from memory was announced then: being stored now is no news.
        sync = self._held.announced(email, plan.result)
        initial = first_this_session and not plan.had_rows and not held
        shown = None if plan.view is None else tuple(m for _, m in plan.view.values())
        return PollResult(email, sync, shown, initial, listing.unreadable, storing=storing)

    def _write_after_paint(self, plan: SyncPlan) -> SyncResult:
        """Write a planned sync (store thread), a moment after the result went to the screen.

        Extracting the text to index is pure Python: started at once, it would share the
        interpreter with the screen drawing the new rows and slow that by half. The wait
        ends early when another store call is queued behind (it must not wait for nothing).
        """
        if plan.result.new or plan.result.changed:
            deadline = time.monotonic() + WRITE_DELAY
            while time.monotonic() < deadline and not self._db.has_waiting:
                time.sleep(0.01)
        return self.store.apply_sync(plan)

    async def _finish_storing(
        self, email: str, write: concurrent.futures.Future[SyncResult], listing: MessageList
    ) -> StoreError | None:
        """Wait for a poll's write; if the store cannot take it, hold the mail in memory."""
        try:
            await asyncio.wrap_future(write)
        except StoreError as error:
            await self._hold(email, listing.messages, error)
            return error
        except Exception as unexpected:
            # A fault of this machine's (a bug, the disk): the mail is on screen already, so
            # it is held and said as local, never lost in a worker's traceback.
            log.error("storing the mail of %s failed", email, exc_info=unexpected)
            local = StoreError(
                f"storing the mail of {email} failed on this machine "
                f"({type(unexpected).__name__}: {unexpected})"
            )
            await self._hold(email, listing.messages, local)
            return local
        self._held.release(email)
        return None

    async def stored(self, result: PollResult) -> StoreError | None:
        """Wait until a poll's mail is written: None once stored, else why it is held."""
        if result.storing is None:
            return result.store_error
        return await result.storing

    async def _hold(
        self, email: str, listing: Iterable[Message], error: StoreError
    ) -> tuple[SyncResult, tuple[StoredMessage, ...]]:
        """Keep a listing the store could not take in memory: what is new, and the box as shown."""
        log.warning("%s: the mail of %s is kept in memory until it can be stored", error, email)
        try:
            stored = await self._db.run(self.store.messages, email)
        except StoreError:
            stored = []
        return self._held.hold(email, listing, stored)

    # Messages --------------------------------------------------------------------------

    async def messages(self, email: str) -> list[StoredMessage]:
        """The stored messages of a mailbox, newest first, with any the store could not take."""
        stored = await self._db.run(self.store.messages, email)
        return self._held.merged(email, stored)

    async def search(self, query: str, *, limit: int = 200, offset: int = 0) -> list[SearchHit]:
        """Stored messages of every box matching the query, best first (see ``core.search``).

        ``limit`` hits after the first ``offset``; no body is read: open a hit with
        ``load_message`` or ``open_message``.
        """
        return await self.archive.search(query, limit=limit, offset=offset)

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
