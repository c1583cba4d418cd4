"""The main screen: mailbox sidebar, message list, reader pane and quota bar."""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, OptionList, Static
from textual.worker import Worker

from tempmail_tui.api.errors import (
    ApiError,
    AuthenticationError,
    NotFoundError,
)
from tempmail_tui.core.format import display_path, human_size
from tempmail_tui.core.render import Rendered
from tempmail_tui.core.sanitize import clean_line
from tempmail_tui.core.schedule import BoxInfo, Outcome
from tempmail_tui.core.store import StoredMailbox, StoredMessage, StoreError, StoreReadOnlyError
from tempmail_tui.ui.events import ActionFailed, BoxesChanged, MessageOpened, PollDone, PollFailed
from tempmail_tui.ui.failures import guarded
from tempmail_tui.ui.widgets.mailbox_list import MailboxList, box_rows
from tempmail_tui.ui.widgets.message_table import MessageTable
from tempmail_tui.ui.widgets.quota_bar import QuotaBar, QuotaView
from tempmail_tui.ui.widgets.reader import ReaderPane

if TYPE_CHECKING:
    from tempmail_tui.api.models import UnreadableMessage

    # The service pulls in httpx: keep it off the path to the first frame.
    from tempmail_tui.core.mail import PollResult
    from tempmail_tui.ui.app import TempMailApp

# Any tag, for the filter's look at HTML bodies: linear, and good enough to skip markup.
_TAG = re.compile(r"<[^<>]*>")

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")


def describe(action: str, error: Exception) -> str:
    """A one-line, specific message for a failed action."""
    if isinstance(error, ApiError):
        return f"{action} failed: {error}"
    if isinstance(error, OSError):
        return f"{action} failed: {error.strerror or type(error).__name__}"
    if isinstance(error, StoreError):
        # Its text already says what went wrong, and that it happened on this machine.
        return f"{action} failed: {error}"
    return f"{action} failed: {type(error).__name__}: {error}"


KEYS: tuple[Binding, ...] = (
    Binding("n", "new_box", "New box"),
    Binding("r", "rename_box", "Rename"),
    Binding("D", "delete_box", "Delete box", key_display="D"),
    Binding("a", "add_address", "Add address"),
    Binding("d", "delete_message", "Delete msg"),
    Binding("s", "save_attachments", "Save"),
    Binding("g", "refresh", "Refresh"),
    Binding("y", "copy_address", "Copy address"),
    Binding("v", "toggle_source", "Source"),
    Binding("c", "copy_code", "Copy code"),
    Binding("l", "links", "Links"),
    Binding("slash", "filter", "Filter", key_display="/"),
    Binding("f", "search_archive", "Search all"),
    Binding("b", "toggle_sidebar", "Sidebar", show=False),
    Binding("question_mark", "help", "Help", key_display="?"),
    Binding("q", "quit", "Quit"),
)
"""The main screen's key bindings (the acceptance tests use exactly these keys)."""


class MainScreen(Screen[None]):
    """The three-pane reader; it owns the UI state and starts workers for I/O."""

    BINDINGS = list(KEYS)
    # The message list focuses itself once mounted; a selector here can run too early.
    AUTO_FOCUS = None

    def __init__(self) -> None:
        super().__init__()
        self.boxes: list[StoredMailbox] = []
        self.unread: dict[str, int] = {}
        self.messages: dict[str, StoredMessage] = {}
        self.problem: str | None = None
        self._last_toast: str | None = None
        self._auth_prompted = False
        self.filter_text = ""
        # Lower-cased searchable text per message id, built on first use of the filter.
        self._haystacks: dict[str, str] = {}
        # Per mailbox, the messages its last poll could not read (shown as warning rows).
        self.unreadable: dict[str, tuple[UnreadableMessage, ...]] = {}
        # (mailbox, message) pairs already logged as unreadable: once a session, not a poll.
        self._told_unreadable: set[tuple[str, str]] = set()
        # The running check of each mailbox, so `g` can cancel one that hangs.
        self._polls: dict[str, Worker[None]] = {}
        #: Why the local store does not keep new mail (read-only, full), for the status line.
        self.store_notice: str | None = None
        # The notice that holds all session long (a store opened read-only), if any.
        self._store_baseline: str | None = None
        # Boxes whose last poll could not store its mail: the notice goes when none is left.
        self._store_trouble: set[str] = set()
        # When to look next for changes other processes made to the store (monotonic).
        self._next_store_check = 0.0
        self._store_check_running = False

    @property
    def tapp(self) -> TempMailApp:
        """The app, typed."""
        from tempmail_tui.ui.app import TempMailApp

        assert isinstance(self.app, TempMailApp)
        return self.app

    def compose(self) -> ComposeResult:
        """Sidebar, list over reader, quota bar, footer."""
        with Horizontal(id="main"):
            yield MailboxList(id="sidebar")
            with Vertical(id="right"):
                yield Input(placeholder="filter: sender, subject or body", id="filter")
                yield MessageTable(id="messages")
                yield ReaderPane(id="reader")
        yield Static(id="transfer")
        yield QuotaBar(id="quota")
        yield Footer()

    def on_mount(self) -> None:
        """Start the once-a-second refresh of times and the schedule."""
        # Nested children may not be mounted yet here, so no queries.
        self.set_interval(1.0, self._tick)
        # Due polls are looked for more often than the screen is refreshed, so a 5 s
        # interval is not stretched to 6 s by the 1 s tick.
        self.set_interval(0.25, self._start_due_polls)

    # State helpers ---------------------------------------------------------------------

    @property
    def selected_email(self) -> str | None:
        """The address of the mailbox selected in the sidebar."""
        return self.query_one(MailboxList).selected_email

    def selected_box(self) -> StoredMailbox | None:
        """The selected mailbox record."""
        email = self.selected_email
        return next((b for b in self.boxes if b.email == email), None)

    def current_message(self) -> StoredMessage | None:
        """The message under the list cursor."""
        key = self.query_one(MessageTable).current_id
        return self.messages.get(key) if key else None

    def live_boxes(self) -> list[StoredMailbox]:
        """Mailboxes that can still receive mail."""
        now = self.tapp.clock()
        return [
            b
            for b in self.boxes
            if b.state == "live" and not (b.expire_at is not None and b.is_expired(now))
        ]

    def toast(self, text: str, *, severity: str = "information", timeout: float = 5) -> None:
        """Show a toast with untrusted parts cleaned and markup off."""
        self.app.notify(
            clean_line(text, max_chars=400),
            severity=severity,  # type: ignore[arg-type]
            timeout=timeout,
            markup=False,
        )

    def report(self, action: str, error: Exception) -> None:
        """Show a failure: in the status line always, as a toast when it is news; log it."""
        message = describe(action, error)
        if isinstance(error, ApiError | StoreError):
            # Known failures (the server's answer, a full or read-only store): the message
            # says it all, and a failing store must not fill the log with tracebacks.
            log.warning("%s", message)
        else:
            # Unexpected: the traceback is what a bug report needs.
            log.error("%s", message, exc_info=error)
        self.problem = message
        if message != self._last_toast:
            self.toast(message, severity="error", timeout=8)
            self._last_toast = message
        self.refresh_quota()
        if isinstance(error, AuthenticationError) and not self._auth_prompted:
            self._auth_prompted = True
            self.tapp.ask_for_key(reason="The server rejected the API key (HTTP 401).")

    def clear_problem(self) -> None:
        """Forget the last failure once things work again."""
        self.problem = None
        self._last_toast = None
        self._auth_prompted = False

    def refresh_quota(self) -> None:
        """Redraw the quota bar from the service and the schedule."""
        service = self.tapp.service
        scheduler = self.tapp.scheduler
        quota = service.quota if service is not None else None
        scheduler.update_quota(quota)
        self.query_one(QuotaBar).show(
            QuotaView(quota, scheduler.status(), self.problem or self.store_notice),
            now=self.tapp.clock(),
        )

    def refresh_sidebar(self, select: str | None = None) -> None:
        """Redraw the sidebar and tell the scheduler which boxes are live."""
        rows = box_rows(self.boxes, self.unread, now=self.tapp.clock())
        self.query_one(MailboxList).show(rows, select=select)
        scheduler = self.tapp.scheduler
        scheduler.set_boxes([BoxInfo(b.email, b.expire_at) for b in self.live_boxes()])
        scheduler.select(self.selected_email)
        self.update_title()

    @guarded("Refreshing the screen")
    def _tick(self) -> None:
        """Once a second: start due polls, update countdowns and the age of the quota."""
        if self.tapp.service is None:
            return
        self.refresh_sidebar()
        self.refresh_quota()
        self._watch_store()

    @guarded("Starting the scheduled checks")
    def _start_due_polls(self) -> None:
        """Start the polls the schedule says are due."""
        if self.tapp.service is None:
            return
        for email in self.tapp.scheduler.due():
            self._start_poll(email, manual=False)

    # Loading ---------------------------------------------------------------------------

    @work(group="load-boxes", exclusive=True)
    async def load_boxes(self, select: str | None = None) -> None:
        """Read the known mailboxes and unread counts from the store."""
        service = self.tapp.service
        if service is None:
            return
        boxes = await self.tapp.io.run(service.mailboxes())
        unread = await self.tapp.io.run(service.unread_counts())
        self.boxes, self.unread = boxes, unread
        self.refresh_sidebar(select=select)
        if select is not None or self.query_one(MessageTable).mailbox != self.selected_email:
            self.load_messages(self.selected_email)

    @work(group="load-messages", exclusive=True)
    async def load_messages(self, email: str | None) -> None:
        """Show the stored messages of a mailbox at once, before any poll answers."""
        service = self.tapp.service
        if service is None:
            return
        messages = await self.tapp.io.run(service.messages(email)) if email else []
        self.show_messages(email, messages)
        # Checked just now (start-up selects the first box twice: load and highlight): the
        # list is current, and a second request would only spend quota.
        if email is not None and not self.tapp.scheduler.checked_within(email, 1.0):
            self.poll_now(email)

    def show_messages(self, email: str | None, messages: Iterable[StoredMessage]) -> None:
        """Put a mailbox's messages in the list (in place when it is the same box)."""
        listed = list(messages)
        self.messages = {m.id: m for m in listed}
        table = self.query_one(MessageTable)
        # The warning rows match no filter: a filtered list shows only mail.
        marks = () if self.filter_text or email is None else self.unreadable.get(email, ())
        table.show(email, self._filtered(listed), self.tapp.clock(), unreadable=marks)
        # Text, not str: a str border title is parsed as markup, and the address is the server's.
        title = Text(f"Messages — {clean_line(email)}" if email else "Messages")
        if self.filter_text:
            title.append(f" — filter: {clean_line(self.filter_text, max_chars=40)}")
        table.border_title = title
        reader = self.query_one(ReaderPane)
        if reader.message is not None and reader.message.id in self.messages:
            reader.message = self.messages[reader.message.id]
        elif reader.message is not None and reader.message.mailbox != email:
            reader.clear_message()

    # Polling ---------------------------------------------------------------------------

    def poll_now(self, email: str) -> bool:
        """Check a mailbox now, outside the schedule; False if a check is already running."""
        scheduler = self.tapp.scheduler
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
        self.tapp.scheduler.abandon(email)
        log.info("check of %s restarted by the user", email)
        self.poll_now(email)

    def _start_poll(self, email: str, *, manual: bool) -> None:
        """Mark a mailbox in flight and start the worker that polls it."""
        self.tapp.scheduler.started(email)
        self._polls[email] = self.poll_box(email, manual=manual)

    @work(group="poll")
    async def poll_box(self, email: str, *, manual: bool) -> None:
        """Poll one mailbox; the scheduler has already marked it in flight."""
        service = self.tapp.service
        if service is None:
            return
        try:
            result = await self.tapp.io.run(service.poll(email))
        except ApiError as error:
            self.post_message(PollFailed(email, error, manual))
        except Exception as error:
            # Not the server's doing (the store, the disk): reported as local, not as a
            # protocol error, and it does not slow the schedule down.
            log.error("checking %s failed on this machine", email, exc_info=error)
            self.post_message(PollFailed(email, error, manual))
        else:
            self.post_message(PollDone(result, manual))

    @on(PollDone)
    @guarded("Showing the new mail")
    def _poll_done(self, event: PollDone) -> None:
        result = event.result
        self._polls.pop(result.email, None)
        self.tapp.scheduler.finished(result.email, Outcome.OK)
        if self.problem:
            self.clear_problem()
        marks_changed = self._note_unreadable(result.email, result.unreadable)
        if result.changed and result.messages is not None:
            self.unread[result.email] = sum(
                1 for m in result.messages if not m.is_seen and not m.archived
            )
            if result.email == self.selected_email:
                self.show_messages(result.email, result.messages)
        elif marks_changed and result.email == self.query_one(MessageTable).mailbox:
            self.show_messages(result.email, self._ordered_all())
        if result.sync.new and not result.initial:
            self._announce(result)
        self._store_outcome(result)
        self.refresh_sidebar()
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
        if self.tapp.config.bell:
            self.app.bell()
        if self.tapp.config.desktop_notifications:
            self.tapp.desktop_notify(f"{what} — {result.email}", detail.removeprefix(": "))

    @on(PollFailed)
    @guarded("Reporting a failed check")
    def _poll_failed(self, event: PollFailed) -> None:
        error = event.error
        self._polls.pop(event.email, None)
        self.tapp.scheduler.finished_after(event.email, error)
        if isinstance(error, NotFoundError):
            self.toast(
                f"{event.email} is gone from the server (expired or deleted); "
                "its mail stays readable here.",
                severity="warning",
            )
            self.load_boxes()
        elif isinstance(error, ApiError):
            self.report(f"Checking {event.email}", error)
        else:
            self.report(f"Storing the mail of {event.email} (on this machine)", error)

    # The local store, shared with other processes -------------------------------------

    def set_store_baseline(self, notice: str | None) -> None:
        """Show a store notice that holds all session (a store opened read-only)."""
        self._store_baseline = notice
        if not self._store_trouble:
            self.store_notice = notice
        self.refresh_quota()

    def _store_outcome(self, result: PollResult) -> None:
        """Say when the store cannot keep a poll's mail (shown anyway), and when it can again."""
        error = result.store_error
        if error is None:
            if result.email in self._store_trouble:
                self._store_trouble.discard(result.email)
                if not self._store_trouble:
                    self.store_notice = self._store_baseline
                    log.info("the local store takes new mail again")
                    self.toast("The local store works again: the new mail is stored.")
            return
        self._store_trouble.add(result.email)
        text = str(error)
        text = text[:1].upper() + text[1:]
        if not isinstance(error, StoreReadOnlyError):
            text += "; new mail is shown but not kept until it can be"
        text += "."
        if text != self.store_notice:
            log.warning("%s (checking %s)", text, result.email)
            self.toast(text, severity="warning", timeout=10)
        self.store_notice = text

    def _watch_store(self) -> None:
        """From the tick: at most once per poll interval, look for other processes' changes."""
        now = time.monotonic()
        if self._store_check_running or now < self._next_store_check:
            return
        # Half a tick early, so a check every interval lands on the tick that is due.
        self._next_store_check = now + max(1.0, self.tapp.config.poll_interval) - 0.5
        self._store_check_running = True
        self.check_store()

    @work(group="store-watch")
    async def check_store(self) -> None:
        """Reload what the screen shows if another process (the CLI, a reader) changed the store."""
        try:
            service = self.tapp.service
            if service is None:
                return
            changed = await self.tapp.io.run(service.store_changed_elsewhere())
        except StoreError as error:
            self.report("Reading the local store", error)
            return
        finally:
            self._store_check_running = False
        if changed:
            log.info("the local store was changed by another process: reloading")
            self.reload_from_store()

    def reload_from_store(self) -> None:
        """Re-read the boxes, unread counts and the listed box's mail from the store."""
        if self.tapp.service is None:
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
        service = self.tapp.service
        if service is None:
            return
        try:
            messages = await self.tapp.io.run(service.messages(email))
        except StoreError as error:
            self.report("Reading the local store", error)
            return
        if self.query_one(MessageTable).mailbox != email:
            return  # the user moved to another box meanwhile
        self.unread[email] = sum(1 for m in messages if not m.is_seen and not m.archived)
        self.show_messages(email, messages)
        self.refresh_sidebar()

    # Sidebar and list events -----------------------------------------------------------

    @on(OptionList.OptionHighlighted, "#sidebar")
    @guarded("Selecting the mailbox")
    def _box_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        email = event.option.id
        self.tapp.scheduler.select(email)
        if email != self.query_one(MessageTable).mailbox:
            self.load_messages(email)

    @on(OptionList.OptionSelected, "#sidebar")
    @guarded("Selecting the mailbox")
    def _box_selected(self) -> None:
        self.query_one(MessageTable).focus()

    @on(DataTable.RowSelected, "#messages")
    @guarded("Opening the message")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value
        message = self.messages.get(key) if key else None
        if message is None:
            unreadable = self.query_one(MessageTable).unreadable_at(key)
            if unreadable is not None:
                # Nothing to open: say why instead of doing nothing.
                self.toast(f"Could not read this message: {unreadable.reason}", severity="warning")
            return
        self.query_one(ReaderPane).show_message(message, self._cached_render(message))
        self.open_message(message.id)

    def _cached_render(self, message: StoredMessage) -> Rendered | None:
        service = self.tapp.service
        return service.cache.get(message.id) if service is not None else None

    @work(group="open", exclusive=True)
    async def open_message(self, message_id: str) -> None:
        """Read a message on the server and convert it off the UI thread."""
        service = self.tapp.service
        if service is None:
            return
        try:
            opened = await self.tapp.io.run(service.open_message(message_id))
        except Exception as error:
            self.post_message(ActionFailed("Opening the message", error))
        else:
            self.post_message(MessageOpened(opened))

    @on(MessageOpened)
    @guarded("Showing the message")
    def _message_opened(self, event: MessageOpened) -> None:
        opened = event.opened
        message = opened.message
        reader = self.query_one(ReaderPane)
        if reader.message is None or reader.message.id != message.id:
            return  # the user moved on
        reader.show_message(message, opened.rendered, opened.aids)
        if opened.notice:
            self.toast(opened.notice, severity="warning")
        was_unread = (
            self.messages.get(message.id) is not None and not self.messages[message.id].is_seen
        )
        self.messages[message.id] = message
        if was_unread and message.mailbox in self.unread:
            self.unread[message.mailbox] = max(0, self.unread[message.mailbox] - 1)
        if message.mailbox == self.query_one(MessageTable).mailbox:
            self.query_one(MessageTable).show(message.mailbox, self._ordered(), self.tapp.clock())
        self.refresh_sidebar()
        self.refresh_quota()

    def _ordered(self) -> list[StoredMessage]:
        """The current messages in list order (newest first), filtered as the user asked."""
        return self._filtered(self._ordered_all())

    def _filtered(self, messages: list[StoredMessage]) -> list[StoredMessage]:
        """The messages matching every word of the filter in sender, subject or body."""
        words = self.filter_text.casefold().split()
        if not words:
            return messages
        return [m for m in messages if all(w in self._haystack(m) for w in words)]

    def _haystack(self, message: StoredMessage) -> str:
        """The lower-cased text the filter looks in (tags dropped from HTML bodies)."""
        text = self._haystacks.get(message.id)
        if text is None:
            body = _TAG.sub(" ", message.content) if message.is_html else message.content
            text = " ".join((message.from_name, message.from_email, message.subject, body))
            text = text.casefold()
            self._haystacks[message.id] = text
        return text

    @on(ActionFailed)
    @guarded("Reporting a failure")
    def _action_failed(self, event: ActionFailed) -> None:
        self.report(event.action, event.error)

    @on(BoxesChanged)
    @guarded("Reloading the mailboxes")
    def _boxes_changed(self, event: BoxesChanged) -> None:
        self.load_boxes(select=event.select)

    # Actions ---------------------------------------------------------------------------

    def _ready(self) -> bool:
        """Whether the service is up; says why not otherwise."""
        if self.tapp.service is None:
            self.toast("Not connected yet: an API key is needed.", severity="warning")
            return False
        return True

    @work(group="action")
    async def action_new_box(self) -> None:
        """Create a random mailbox and select it."""
        if not self._ready():
            return
        service = self.tapp.service
        assert service is not None
        try:
            box = await self.tapp.io.run(service.create_mailbox())
        except Exception as error:
            self.report("Creating a mailbox", error)
            return
        self.toast(f"Created {box.email} — press y to copy it")
        self.post_message(BoxesChanged(select=box.email))
        self.refresh_quota()

    @work(group="action")
    async def action_rename_box(self) -> None:
        """Rename the selected mailbox after choosing a name and domain."""
        # Dialogs load on first use: their widgets are not on the first frame.
        from tempmail_tui.ui.screens.dialogs import RenameDialog, RenameRequest

        box = self.selected_box()
        if not self._ready() or box is None:
            return
        if box not in self.live_boxes():
            self.toast("This mailbox is no longer live; it cannot be renamed.", severity="warning")
            return
        service = self.tapp.service
        assert service is not None
        try:
            domains = await self.tapp.io.run(service.domains())
        except Exception as error:
            self.report("Loading domains", error)
            return
        request = await self.app.push_screen_wait(RenameDialog(box.email, domains.domains))
        if not isinstance(request, RenameRequest):
            return
        try:
            renamed = await self.tapp.io.run(
                service.rename_mailbox(box.email, request.username, request.domain)
            )
        except Exception as error:
            self.report("Renaming the mailbox", error)
            return
        self.toast(f"Renamed to {renamed.email}")
        self.post_message(BoxesChanged(select=renamed.email))
        self.refresh_quota()

    @work(group="action")
    async def action_delete_box(self) -> None:
        """Delete the selected mailbox on the server after confirming."""
        # Dialogs load on first use: their widgets are not on the first frame.
        from tempmail_tui.ui.screens.dialogs import ConfirmDialog

        box = self.selected_box()
        if not self._ready() or box is None:
            return
        question = Text("Delete ")
        question.append(clean_line(box.email), style="bold")
        question.append(" on the server?\nIts mail stays readable here as archived.")
        if await self.app.push_screen_wait(ConfirmDialog("Delete mailbox", question)) is not True:
            return
        service = self.tapp.service
        assert service is not None
        try:
            await self.tapp.io.run(service.delete_mailbox(box.email))
        except Exception as error:
            self.report("Deleting the mailbox", error)
            return
        self.toast(f"Deleted {box.email}")
        self.post_message(BoxesChanged())
        self.refresh_quota()

    @work(group="action")
    async def action_add_address(self) -> None:
        """Follow an existing address typed by hand."""
        # Dialogs load on first use: their widgets are not on the first frame.
        from tempmail_tui.ui.screens.dialogs import AddressDialog

        if not self._ready():
            return
        address = await self.app.push_screen_wait(AddressDialog())
        if not isinstance(address, str):
            return
        service = self.tapp.service
        assert service is not None
        try:
            box = await self.tapp.io.run(service.add_address(address))
        except Exception as error:
            self.report(f"Adding {address}", error)
            return
        self.toast(f"Added {box.email}")
        self.post_message(BoxesChanged(select=box.email))

    @work(group="action")
    async def action_delete_message(self) -> None:
        """Delete the message under the cursor after confirming."""
        # Dialogs load on first use: their widgets are not on the first frame.
        from tempmail_tui.ui.screens.dialogs import ConfirmDialog

        message = self.current_message()
        if not self._ready() or message is None:
            return
        question = Text("Delete the message ")
        question.append(clean_line(message.subject, max_chars=80) or "(no subject)", style="bold")
        question.append("?")
        if await self.app.push_screen_wait(ConfirmDialog("Delete message", question)) is not True:
            return
        service = self.tapp.service
        assert service is not None
        try:
            await self.tapp.io.run(service.delete_message(message.id))
        except Exception as error:
            self.report("Deleting the message", error)
            return
        self.messages.pop(message.id, None)
        self.query_one(MessageTable).show(message.mailbox, self._ordered(), self.tapp.clock())
        reader = self.query_one(ReaderPane)
        if reader.message is not None and reader.message.id == message.id:
            reader.clear_message("Message deleted.")
        self.toast("Message deleted")
        self.refresh_quota()

    @work(group="save")
    async def action_save_attachments(self) -> None:
        """Save one or all attachments of the open (or highlighted) message."""
        # Dialogs load on first use: their widgets are not on the first frame.
        from tempmail_tui.ui.screens.dialogs import SaveDialog

        reader = self.query_one(ReaderPane)
        message = reader.message or self.current_message()
        if not self._ready() or message is None:
            return
        if not message.attachments:
            self.toast("This message has no attachments.")
            return
        directory = self.tapp.config.download_dir
        chosen = await self.app.push_screen_wait(SaveDialog(message.attachments, directory))
        if not isinstance(chosen, list) or not chosen:
            return
        service = self.tapp.service
        assert service is not None
        transfer = self.query_one("#transfer", Static)
        saved: list[Path] = []
        for attachment in chosen:
            name = clean_line(attachment.name, max_chars=80) or "attachment"
            transfer.display = True
            transfer.update(Text(f"Saving {name}…"))

            def progress(done: int, total: int | None, name: str = name) -> None:
                # Called on the I/O thread: hand the redraw to the UI thread.
                share = f" ({done * 100 // total}%)" if total else ""
                line = f"Saving {name}: {human_size(done)}"
                line += f" of {human_size(total)}{share}" if total else ""
                self.app.call_from_thread(transfer.update, Text(line))

            try:
                path = await self.tapp.io.run(
                    service.save_attachment(message.id, attachment, directory, progress)
                )
            except Exception as error:
                self.report(f"Saving {name}", error)
                continue
            saved.append(path)
        transfer.display = False
        if saved:
            names = ", ".join(clean_line(p.name, max_chars=60) for p in saved)
            self.toast(f"Saved {names} in {display_path(directory)}", timeout=8)
        self.refresh_quota()

    def action_refresh(self) -> None:
        """Poll the selected mailbox now, whatever the schedule says."""
        # Another process may have added boxes or mail: the sidebar and list catch up too.
        self.reload_from_store()
        email = self.selected_email
        if not self._ready() or email is None:
            return
        if self.poll_now(email):
            self.toast(f"Checking {email}…", timeout=2)
        else:
            # One is still running, perhaps on a server that stopped answering: start over.
            self.restart_poll(email)
            self.toast(f"Checking {email} again…", timeout=2)

    def action_copy_address(self) -> None:
        """Copy the selected mailbox's address to the clipboard (OSC 52, works over SSH)."""
        email = self.selected_email
        if email is None:
            self.toast("No mailbox selected.")
            return
        self.app.copy_to_clipboard(email)
        self.toast(f"Copied {email}")

    def action_toggle_source(self) -> None:
        """Switch the reader between the readable body and the raw source."""
        self.query_one(ReaderPane).toggle_source()

    def action_toggle_sidebar(self) -> None:
        """Show or hide the mailbox sidebar."""
        sidebar = self.query_one(MailboxList)
        sidebar.display = not sidebar.display

    def action_help(self) -> None:
        """Show every key binding."""
        # Dialogs load on first use: their widgets are not on the first frame.
        from tempmail_tui.ui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(KEYS))

    def action_copy_code(self) -> None:
        """Copy the open message's verification code (OSC 52)."""
        reader = self.query_one(ReaderPane)
        if reader.message is None:
            self.toast("Open a message first (Enter).")
            return
        if reader.aids is None:
            self.toast("Still reading the message…", timeout=2)
            return
        if not reader.aids.code:
            self.toast("No verification code found in this message.", severity="warning")
            return
        self.app.copy_to_clipboard(reader.aids.code)
        self.toast(f"Copied code {reader.aids.code}")

    @work(group="links")
    async def action_links(self) -> None:
        """List the open message's links; Enter copies one, o opens it."""
        # Dialogs load on first use: their widgets are not on the first frame.
        from tempmail_tui.ui.screens.dialogs import LinkChoice, LinksDialog

        reader = self.query_one(ReaderPane)
        if reader.message is None or reader.aids is None:
            self.toast("Open a message first (Enter).")
            return
        if not reader.aids.links:
            self.toast("This message has no web links.")
            return
        choice = await self.app.push_screen_wait(LinksDialog(reader.aids.links))
        if not isinstance(choice, LinkChoice):
            return
        if choice.open:
            if await self.tapp.open_in_browser(choice.url):
                self.toast("Opened in the browser", timeout=3)
                return
            self.app.copy_to_clipboard(choice.url)
            self.toast("No browser can be opened here (no display): copied the link instead.")
            return
        self.app.copy_to_clipboard(choice.url)
        self.toast("Copied the link", timeout=3)

    def action_filter(self) -> None:
        """Show the filter field above the list and focus it."""
        field = self.query_one("#filter", Input)
        field.display = True
        field.focus()

    @on(Input.Changed, "#filter")
    @guarded("Filtering the list")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        self.show_messages(self.query_one(MessageTable).mailbox, self._ordered_all())

    @on(Input.Submitted, "#filter")
    @guarded("Filtering the list")
    def _filter_submitted(self) -> None:
        self.query_one(MessageTable).focus()

    @guarded("Clearing the filter")
    def key_escape(self) -> None:
        """Escape clears and hides the filter."""
        field = self.query_one("#filter", Input)
        if field.display:
            field.value = ""
            field.display = False
            self.filter_text = ""
            self.show_messages(self.query_one(MessageTable).mailbox, self._ordered_all())
            self.query_one(MessageTable).focus()

    def _ordered_all(self) -> list[StoredMessage]:
        """Every message of the box in the store's order: newest first, then by id."""
        return sorted(self.messages.values(), key=lambda m: (-m.received_at.timestamp(), m.id))

    @work(group="search")
    async def action_search_archive(self) -> None:
        """Search every stored message of every box and open the one chosen."""
        # Dialogs load on first use: their widgets are not on the first frame.
        from tempmail_tui.ui.screens.search import ArchiveSearchScreen

        store = self.tapp.store
        if store is None:
            self.toast("The local store is not open yet.", severity="warning")
            return

        async def search(query: str) -> list[StoredMessage]:
            # As you type, the last word is a prefix ("verif" finds "verification").
            words = query if query.endswith(" ") else query.strip() + "*"
            return await self.tapp.io.run(_call(store.search, words))

        found = await self.app.push_screen_wait(ArchiveSearchScreen(search))
        if not isinstance(found, StoredMessage):
            return
        if found.mailbox != self.selected_email:
            self.refresh_sidebar(select=found.mailbox)
            messages = await self.tapp.io.run(_call(store.messages, found.mailbox))
            self.show_messages(found.mailbox, messages)
        table = self.query_one(MessageTable)
        if found.id in self.messages:
            with contextlib.suppress(Exception):
                table.move_cursor(row=table.get_row_index(found.id))
        self.query_one(ReaderPane).show_message(found, self._cached_render(found))
        self.open_message(found.id)

    def update_title(self) -> None:
        """Put the count of unread mail in the terminal's title."""
        live = {b.email for b in self.live_boxes()}
        unread = sum(n for email, n in self.unread.items() if email in live)
        self.tapp.set_terminal_title(f"({unread}) tempmail-tui" if unread else "tempmail-tui")

    async def action_quit(self) -> None:
        """Leave the app."""
        self.app.exit()


async def _call(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a plain store call on the background loop (it touches SQLite, so not on the UI)."""
    return function(*args, **kwargs)
