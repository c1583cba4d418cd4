"""The mail use cases: the API client, the local store and the renderer working together."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Literal

from tempmail_tui.api.errors import ApiError, NotFoundError
from tempmail_tui.api.listed import ListedMessage, Listing
from tempmail_tui.api.models import (
    DomainList,
    Mailbox,
    Message,
    Quota,
)
from tempmail_tui.core.archive import Archive
from tempmail_tui.core.held import HeldMail
from tempmail_tui.core.labels import clean_labels, has_label
from tempmail_tui.core.messages import MessageCases
from tempmail_tui.core.reading import filter_text
from tempmail_tui.core.render import HtmlRenderer, RenderCache
from tempmail_tui.core.results import Fetched, PollResult
from tempmail_tui.core.schedule import SharedUse
from tempmail_tui.core.store import (
    MessageSummary,
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

#: Messages whose bodies the filter reads per store call (see ``filter_texts``).
FILTER_BATCH = 250

#: Seconds a poll's write waits for the screen to draw the mail it brought (see poll).
WRITE_DELAY = 0.25


def to_sync(store: Store, email: str, listing: Listing) -> list[ListedMessage]:
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
            messages.append(ListedMessage.of(stored.to_message()))
            listed.add(entry.id)
    return messages


def _filter_batch(messages: Sequence[MessageSummary], bodies: dict[str, str]) -> dict[str, str]:
    """The filter texts of these messages, by id, from their bodies (absent: empty)."""
    return {m.id: filter_text(m, bodies.get(m.id, "")) for m in messages}


def newest_first(messages: Iterable[Message]) -> tuple[Message, ...]:
    """Messages newest first; stable, so mail of the same second keeps the server's order."""
    return tuple(sorted(messages, key=lambda m: m.received_at, reverse=True))


class MailService(MessageCases):
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
        # Polls waiting for those writes before their request (read by the store thread).
        self._polls_waiting = 0
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

    async def mailboxes(self, *, include_gone: bool = True) -> list[StoredMailbox]:
        """Every known mailbox, newest first; ``include_gone=False``: those in state live."""
        return await self._db.run(self.store.mailboxes, include_gone=include_gone)

    async def mailbox(self, email: str) -> StoredMailbox | None:
        """One known mailbox by address (case-insensitive), or None."""
        return await self._db.run(self.store.mailbox, email)

    async def unread_counts(self, *, include_gone: bool = True) -> dict[str, int]:
        """Unread messages per mailbox, mail not stored yet included (``include_gone=False``:
        the boxes in state live only, as ``mailboxes`` lists them)."""
        counts = await self._db.run(self.store.unread_counts, include_gone=include_gone)
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
        await self.client.listing(email)
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

    async def _list(self, email: str, retries: int | None) -> Listing:
        """The server's listing of a box (bodies undecoded); a 404 marks the box gone here."""
        try:
            return await self.client.listing(email, retries=retries)
        except NotFoundError:
            # Expired or deleted on the server: keep its mail, stop polling it.
            try:
                await self._db.run(self._archive, email, "expired")
            except StoreError as error:
                # The box's 404 is what the user must hear about; the store is told next time.
                log.warning("could not record that %s is gone: %s", email, error)
            raise

    async def _sync(self, email: str, listing: Listing) -> SyncResult:
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
        messages = newest_first(m.message() for m in listing.messages)
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
        if self._storing:
            # A poll's plan waits for the writes before it anyway (a first fill of a big
            # box takes seconds): asking only after them keeps one listing in memory, not
            # two, and this one is fresher. The writes stop waiting for the screen.
            self._polls_waiting += 1
            try:
                await asyncio.wait(list(self._storing))
            finally:
                self._polls_waiting -= 1
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
        initial = first_this_session and not plan.had_rows and not held
        shown = None if plan.view is None else tuple(m for _, m in plan.view.values())
        if not plan.result.any and not held:
            # A quiet poll (the usual one): the store already reads as the listing, so
            # there is nothing to write. A change another process made since the plan is
            # seen by the next poll's plan (the file's data_version moves).
            return PollResult(email, plan.result, shown, initial, listing.unreadable)
        # Queued now, so every later store call (a read, a second poll) comes after it.
        write = self._db.submit(self._write_after_paint, plan)
        storing = asyncio.ensure_future(self._finish_storing(email, write, listing))
        self._storing.add(storing)
        storing.add_done_callback(self._storing.discard)
        # Mail shown from memory was announced then: being stored now is no news.
        sync = self._held.announced(email, plan.result)
        return PollResult(email, sync, shown, initial, listing.unreadable, storing=storing)

    def _write_after_paint(self, plan: SyncPlan) -> SyncResult:
        """Write a planned sync (store thread), a moment after the result went to the screen.

        Extracting the text to index is pure Python: started at once, it would share the
        interpreter with the screen drawing the new rows and slow that by half. The wait
        ends early when another store call is queued behind, or a poll waits for the write
        before asking (it must not wait for nothing).
        """
        if plan.result.new or plan.result.changed:
            deadline = time.monotonic() + WRITE_DELAY
            while (
                time.monotonic() < deadline and not self._db.has_waiting and not self._polls_waiting
            ):
                time.sleep(0.01)
        return self.store.apply_sync(plan)

    async def _finish_storing(
        self, email: str, write: concurrent.futures.Future[SyncResult], listing: Listing
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
        self, email: str, listing: Iterable[ListedMessage], error: StoreError
    ) -> tuple[SyncResult, tuple[MessageSummary, ...]]:
        """Keep a listing the store could not take in memory: what is new, and the box as shown."""
        log.warning("%s: the mail of %s is kept in memory until it can be stored", error, email)
        stored: list[MessageSummary]
        try:
            stored = await self._db.run(self.store.summaries, email)
        except StoreError:
            stored = []
        return self._held.hold(email, listing, stored)

    # Messages --------------------------------------------------------------------------

    async def messages(self, email: str) -> list[StoredMessage]:
        """The stored messages of a mailbox, newest first, with any the store could not take."""
        stored = await self._db.run(self.store.messages, email)
        return self._held.merged(email, stored)

    async def summaries(self, email: str) -> list[MessageSummary]:
        """The messages of a mailbox as a list shows them (no bodies), as ``messages`` orders them.

        Open one with ``open_message`` (or ``load_message``) to read its body.
        """
        stored = await self._db.run(self.store.summaries, email)
        return self._held.merged(email, stored)

    async def filter_texts(self, messages: Sequence[MessageSummary]) -> dict[str, str]:
        """The text the list filter matches for each of these messages, by id (see ``filter_text``).

        Bodies are read on the store thread in batches and converted in an executor
        thread, so a big box costs neither the UI thread nor one long store call.
        """
        loop = asyncio.get_running_loop()
        texts: dict[str, str] = {}
        for start in range(0, len(messages), FILTER_BATCH):
            batch = messages[start : start + FILTER_BATCH]
            held = {m.id: m.content for m in batch if isinstance(m, StoredMessage)}
            wanted = [m.id for m in batch if m.id not in held]
            bodies = {**(await self._db.run(self.store.bodies, wanted) if wanted else {}), **held}
            texts.update(await loop.run_in_executor(None, _filter_batch, batch, bodies))
        return texts

    async def search(self, query: str, *, limit: int = 200, offset: int = 0) -> list[SearchHit]:
        """Stored messages of every box matching the query, best first (see ``core.search``).

        ``limit`` hits after the first ``offset``; no body is read: open a hit with
        ``load_message`` or ``open_message``.
        """
        return await self.archive.search(query, limit=limit, offset=offset)
