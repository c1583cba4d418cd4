"""The main screen's checks: loading from the store, polling on the schedule, the store watch."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING

from textual import on, work
from textual.worker import Worker

from tempmail_tui.api.errors import ApiError, NotFoundError
from tempmail_tui.core.budget import ALONE_BEAT_EVERY, BudgetShare
from tempmail_tui.core.sanitize import clean_line
from tempmail_tui.core.schedule import Outcome
from tempmail_tui.core.store import StoreError, StoreReadOnlyError
from tempmail_tui.ui import interpreter
from tempmail_tui.ui.events import BoxesChanged, PollDone, PollFailed, PollStored
from tempmail_tui.ui.failures import guarded
from tempmail_tui.ui.screens.main_view import MailView, log
from tempmail_tui.ui.widgets.mailbox_list import MailboxList
from tempmail_tui.ui.widgets.message_table import MessageTable

if TYPE_CHECKING:
    from tempmail_tui.api.models import UnreadableMessage

    # The service pulls in httpx: keep it off the path to the first frame.
    from tempmail_tui.core.results import PollResult


#: At most this many seconds between showing the live boxes at start-up and reading the
#: archive: it is read once the frame that draws them is painted, or after this.
LIVE_FRAME_WAIT = 1.0


class MailPolling(MailView):
    """The part of the main screen that keeps boxes and mail current: store, server, others."""

    def __init__(self) -> None:
        super().__init__()
        #: Whether the archived boxes have been read (start-up shows the live ones first).
        self.archive_listed = False
        # (mailbox, message) pairs already logged as unreadable: once a session, not a poll.
        self._told_unreadable: set[tuple[str, str]] = set()
        # The running check of each mailbox, so `R` can cancel one that hangs.
        self._polls: dict[str, Worker[None]] = {}
        # The notice that holds all session long (a store opened read-only), if any.
        self._store_baseline: str | None = None
        # Boxes whose last poll could not store its mail: the notice goes when none is left.
        self._store_trouble: set[str] = set()
        # When to look next for changes other processes made to the store (monotonic).
        self._next_store_check = 0.0
        self._store_check_running = False
        # The reader's place in the quota budget it shares with `wait` and scripts.
        self._budget = BudgetShare("reader", alone_every=ALONE_BEAT_EVERY)
        # Whether the last heartbeat found no other poller (then the next comes later).
        self._beating_alone = True
        self._next_beat = 0.0
        self._beat_running = False

    @guarded("Refreshing the screen")
    def _tick(self) -> None:
        """Once a second: start due polls, update countdowns and the age of the quota."""
        if self.host.service is None:
            return
        self.refresh_sidebar()
        self.refresh_quota()
        self._watch_store()
        self._share_budget()

    def _share_budget(self) -> None:
        """From the tick: beat in the shared budget, at most once per beat interval."""
        now = time.monotonic()
        if self._beat_running or now < self._next_beat:
            return
        # Half a tick early, so a beat every interval lands on the tick that is due.
        self._next_beat = now + self._budget.interval(alone=self._beating_alone) - 0.5
        self._beat_running = True
        self.beat_budget()

    @work(group="budget")
    async def beat_budget(self) -> None:
        """Tell the other pollers what the schedule projects; plan with what they project."""
        try:
            service = self.host.service
            if service is None:
                return
            beat = self._budget.beat(self.host.scheduler, alone=self._beating_alone)
            shared = await self.host.io.run(service.share_budget(beat))
        finally:
            self._beat_running = False
        # An async worker runs on the UI's loop: it may hand the schedule its input.
        self.host.scheduler.share(shared)
        alone = shared is None
        if alone != self._beating_alone:
            self._beating_alone = alone
            # Another poller came: beat at its pace from the next tick, not in 3 s.
            self._next_beat = min(
                self._next_beat, time.monotonic() + self._budget.interval(alone=alone) - 0.5
            )

    @guarded("Starting the scheduled checks")
    def _start_due_polls(self) -> None:
        """Start the polls the schedule says are due."""
        if self.host.service is None:
            return
        for email in self.host.scheduler.due():
            self._start_poll(email, manual=False)

    # Loading ---------------------------------------------------------------------------

    @work(group="load-boxes", exclusive=True)
    async def load_boxes(self, select: str | None = None) -> None:
        """Read the known mailboxes and unread counts from the store.

        The first time (start-up), the live boxes are read and shown first, and the archive
        (a year of it is 2,000 boxes to read, sort and group) only after their frame.
        """
        service = self.host.service
        if service is None:
            return
        if not self.archive_listed:
            since = self.unread_mark()
            live = await self.host.io.run(service.mailboxes(include_gone=False))
            unread = await self.host.io.run(service.unread_counts(include_gone=False))
            self.boxes = live
            self.take_unread(unread, since)
            if select is None or any(b.email == select for b in live):
                self._show_loaded(select)
                select = None
                # Their frame is drawn before the archive is read and grouped (on a busy
                # start a fixed pause could end first); a screen that never draws (hidden)
                # holds it up no longer than LIVE_FRAME_WAIT.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wait_for_refresh(), LIVE_FRAME_WAIT)
        since = self.unread_mark()
        boxes = await self.host.io.run(service.mailboxes())
        unread = await self.host.io.run(service.unread_counts())
        self.boxes = boxes
        # A poll handled meanwhile counted mail the store may not hold yet: its count stays.
        self.take_unread(unread, since)
        self.archive_listed = True
        self._show_loaded(select)
        self.show_start_hint()

    def _show_loaded(self, select: str | None) -> None:
        """Show the boxes just read; load the selected box's mail unless it is listed."""
        self.refresh_sidebar(select=select)
        # On the archive group's header, the list keeps the box it shows.
        on_header = self.query_one(MailboxList).on_header
        shown = self.query_one(MessageTable).mailbox
        selected = self.selected_email
        # Start-up's second read (the archive) keeps the box the first one is loading.
        loading = selected is not None and selected == self.wanted_box
        if select is not None or (not on_header and shown != selected and not loading):
            self.wanted_box = selected
            self.load_messages(selected)

    def show_box(self, email: str | None) -> None:
        """Load a box's messages, unless they are shown already or on their way."""
        # Start-up and `n` select a box in the sidebar and load it: the sidebar's highlight
        # event that follows names the same box and must not load (and check) it again.
        if email in (self.query_one(MessageTable).mailbox, self.wanted_box):
            return
        self.wanted_box = email
        self.load_messages(email)

    @work(group="load-messages", exclusive=True)
    async def load_messages(self, email: str | None) -> None:
        """Show the stored messages of a mailbox at once, before any poll answers."""
        service = self.host.service
        if service is None:
            return
        try:
            messages = await self.host.io.run(service.summaries(email)) if email else []
        finally:
            # Shown or failed, it is no longer on its way: selecting it again loads it.
            if self.wanted_box == email:
                self.wanted_box = None
        self.show_messages(email, messages)
        # An archived box is gone from the server: its stored mail is all there is, and
        # asking would only spend quota on a 404. Checked just now (the user came back to
        # it within a second): the list is current, and a second request would only spend
        # quota too.
        scheduler = self.host.scheduler
        if email is not None and self.is_live(email) and not scheduler.checked_within(email, 1.0):
            self.poll_now(email)

    @on(BoxesChanged)
    @guarded("Reloading the mailboxes")
    def _boxes_changed(self, event: BoxesChanged) -> None:
        self.load_boxes(select=event.select)

    # Polling ---------------------------------------------------------------------------

    def action_refresh(self) -> None:
        """Poll the selected mailbox now, whatever the schedule says."""
        # Another process may have added boxes or mail: the sidebar and list catch up too.
        self.reload_from_store()
        email = self.watched_email()
        if not self._ready() or email is None:
            return
        if not self.is_live(email):
            self.toast(
                f"{email} is archived (gone from the server): its stored mail is all there is.",
                timeout=4,
            )
            return
        if self.poll_now(email):
            self.toast(f"Checking {email}…", timeout=2)
        else:
            # One is still running, perhaps on a server that stopped answering: start over.
            self.restart_poll(email)
            self.toast(f"Checking {email} again…", timeout=2)

    def poll_now(self, email: str) -> bool:
        """Check a mailbox now, outside the schedule; False if a check is already running."""
        scheduler = self.host.scheduler
        if not scheduler.request_manual(email):
            return False
        self._start_poll(email, manual=True)
        return True

    def restart_poll(self, email: str) -> None:
        """Cancel a running check of a mailbox (a hung server) and start a fresh one."""
        worker = self._polls.pop(email, None)
        if worker is not None:
            # Cancelling the worker cancels the request on the background loop too.
            worker.cancel()
        self.host.scheduler.abandon(email)
        log.info("check of %s restarted by the user", email)
        self.poll_now(email)

    def _start_poll(self, email: str, *, manual: bool) -> None:
        """Mark a mailbox in flight and start the worker that polls it."""
        self.host.scheduler.started(email)
        self._polls[email] = self.poll_box(email, manual=manual)

    @work(group="poll")
    async def poll_box(self, email: str, *, manual: bool) -> None:
        """Poll one mailbox; the scheduler has already marked it in flight."""
        service = self.host.service
        if service is None:
            return
        # No collections until the rows are painted (`_poll_done`), or after a few seconds.
        release = interpreter.POLL_COLLECTIONS.hold()
        self.set_timer(interpreter.POLL_HOLD_LIMIT, release)
        try:
            result = await self.host.io.run(service.poll(email))
        except ApiError as error:
            release()
            self.post_message(PollFailed(email, error, manual))
        except Exception as error:
            release()
            # Not the server's doing (the store, the disk): reported as local, not as a
            # protocol error, and it does not slow the schedule down.
            log.error("checking %s failed on this machine", email, exc_info=error)
            self.post_message(PollFailed(email, error, manual))
        except BaseException:
            release()  # cancelled: the app is closing, or the box was dropped
            raise
        else:
            self.post_message(PollDone(result, manual, release))
            if result.storing is not None:
                # The mail is on the screen; whether the store took it comes after.
                self.post_message(PollStored(email, await self.host.io.run(service.stored(result))))
            if len(self.messages) >= interpreter.LARGE_LOAD and email == self.watched_email():
                # A big listing is let go of now: its pages go back before the next poll's
                # come (small boxes free too little to be worth the walk).
                await asyncio.to_thread(interpreter.give_back_freed)

    @on(PollDone)
    @guarded("Showing the new mail")
    def _poll_done(self, event: PollDone) -> None:
        result = event.result
        # The collector comes back once this handler's rows are on screen: not after the next
        # refresh, which runs before the frame is written (the sweep let go then landed in it).
        self.set_timer(interpreter.POLL_RELEASE_AFTER, event.release)
        self._polls.pop(result.email, None)
        self.host.scheduler.finished(result.email, Outcome.OK)
        if result.sync.new:
            self.host.scheduler.mail_arrived(result.email)
        # A check of this box worked: its own failure, and the connection's, are over.
        self.request_succeeded(result.email)
        marks_changed = self._note_unreadable(result.email, result.unreadable)
        if result.changed and result.messages is not None:
            self.set_unread(
                result.email, sum(1 for m in result.messages if not m.is_seen and not m.archived)
            )
            if result.email == self.watched_email():
                self.show_messages(result.email, result.messages)
        elif marks_changed and result.email == self.query_one(MessageTable).mailbox:
            self.show_messages(result.email, self._ordered_all())
        if result.sync.new and not result.initial:
            self._announce(result)
        if result.storing is None:
            self._store_outcome(result.email, result.store_error)
        self.refresh_sidebar()
        self.refresh_quota()

    @on(PollStored)
    @guarded("Storing the new mail")
    def _poll_stored(self, event: PollStored) -> None:
        self._store_outcome(event.email, event.error)
        self.refresh_quota()

    def _note_unreadable(self, email: str, entries: tuple[UnreadableMessage, ...]) -> bool:
        """Keep a box's unreadable messages; log and toast each new one once a session.

        Returns whether they differ from the last poll's, so the list is redrawn only then.
        """
        before = self.unreadable.get(email, ())
        if entries:
            self.unreadable[email] = entries
        else:
            self.unreadable.pop(email, None)
        fresh = [e for e in entries if (email.casefold(), e.label) not in self._told_unreadable]
        for entry in fresh:
            self._told_unreadable.add((email.casefold(), entry.label))
            # The id is the server's: cleaned; the reason names only fields we know.
            log.warning(
                "a message in %s could not be read: %s: %s",
                clean_line(email),
                clean_line(entry.label, max_chars=120),
                entry.reason,
            )
        if fresh:
            count = len(fresh)
            what = f"A message ({fresh[0].reason})" if count == 1 else f"{count} messages"
            self.toast(
                f"{what} in {email} could not be read; marked in the list.",
                severity="warning",
                timeout=8,
            )
        return entries != before

    def _announce(self, result: PollResult) -> None:
        """Tell the user about new mail: a toast and, if enabled, the bell."""
        count = len(result.sync.new)
        newest = None
        if result.messages is not None:
            newest = next((m for m in result.messages if m.id in result.sync.new), None)
        what = f"{count} new message{'s' * (count != 1)}" if count > 1 else "New mail"
        detail = ""
        if newest is not None:
            sender = clean_line(newest.from_name or newest.from_email, max_chars=60)
            subject = clean_line(newest.subject, max_chars=80) or "(no subject)"
            detail = f": {sender} — {subject}"
        self.toast(f"{what} in {result.email}{detail}", timeout=6)
        if self.host.config.bell:
            self.app.bell()
        if self.host.config.desktop_notifications:
            self.host.desktop_notify(f"{what} — {result.email}", detail.removeprefix(": "))

    @on(PollFailed)
    @guarded("Reporting a failed check")
    def _poll_failed(self, event: PollFailed) -> None:
        error = event.error
        self._polls.pop(event.email, None)
        self.host.scheduler.finished_after(event.email, error)
        if isinstance(error, NotFoundError):
            self.toast(
                f"{event.email} is gone from the server (expired or deleted); "
                "its mail stays readable here.",
                severity="warning",
            )
            self.load_boxes()
        elif isinstance(error, ApiError):
            self.report(f"Checking {event.email}", error, box=event.email)
        else:
            self.report(
                f"Storing the mail of {event.email} (on this machine)", error, box=event.email
            )

    # The local store, shared with other processes -------------------------------------

    def set_store_baseline(self, notice: str | None) -> None:
        """Show a store notice that holds all session (a store opened read-only)."""
        self._store_baseline = notice
        if not self._store_trouble:
            self.store_notice = notice
        self.refresh_quota()

    def _store_outcome(self, email: str, error: StoreError | None) -> None:
        """Say when the store cannot keep a poll's mail (shown anyway), and when it can again."""
        if error is None:
            if email in self._store_trouble:
                self._store_trouble.discard(email)
                if not self._store_trouble:
                    self.store_notice = self._store_baseline
                    log.info("the local store takes new mail again")
                    self.toast("The local store works again: the new mail is stored.")
            return
        self._store_trouble.add(email)
        text = str(error)
        text = text[:1].upper() + text[1:]
        if not isinstance(error, StoreReadOnlyError):
            text += "; new mail is shown but not kept until it can be"
        text += "."
        if text != self.store_notice:
            log.warning("%s (checking %s)", text, email)
            self.toast(text, severity="warning", timeout=10)
        self.store_notice = text

    def _watch_store(self) -> None:
        """From the tick: at most once per poll interval, look for other processes' changes."""
        now = time.monotonic()
        if self._store_check_running or now < self._next_store_check:
            return
        # Half a tick early, so a check every interval lands on the tick that is due.
        self._next_store_check = now + max(1.0, self.host.config.poll_interval) - 0.5
        self._store_check_running = True
        self.check_store()

    @work(group="store-watch")
    async def check_store(self) -> None:
        """Reload what the screen shows if another process (the CLI, a reader) changed the store."""
        try:
            service = self.host.service
            if service is None:
                return
            changed = await self.host.io.run(service.store_changed_elsewhere())
        except StoreError as error:
            self.report("Reading the local store", error)
            return
        finally:
            self._store_check_running = False
        self.forget_problem("Reading the local store")
        if changed:
            log.info("the local store was changed by another process: reloading")
            self.reload_from_store()

    def reload_from_store(self) -> None:
        """Re-read the boxes, unread counts and the listed box's mail from the store."""
        if self.host.service is None:
            return
        if any(w.group == "load-boxes" and not w.is_finished for w in self.workers):
            # Starting another load would cancel this one and lose the box it selects;
            # it may have read before the change, so load again once it is done.
            self.set_timer(0.2, self.reload_from_store)
            return
        self.load_boxes()
        email = self.query_one(MessageTable).mailbox
        if email is not None:
            self._reload_messages(email)

    @work(group="store-reload", exclusive=True)
    async def _reload_messages(self, email: str) -> None:
        """Show a box's mail as the store has it now, without asking the server."""
        service = self.host.service
        if service is None:
            return
        try:
            messages = await self.host.io.run(service.summaries(email))
        except StoreError as error:
            self.report("Reading the local store", error)
            return
        if self.query_one(MessageTable).mailbox != email:
            return  # the user moved to another box meanwhile
        self.set_unread(email, sum(1 for m in messages if not m.is_seen and not m.archived))
        self.show_messages(email, messages)
        self.refresh_sidebar()
