"""The main screen's state and how it is shown: selection, list, filter, status and toasts."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.screen import Screen

from tempmail_tui.api.errors import ApiError, AuthenticationError, NetworkError, RateLimitError
from tempmail_tui.core.sanitize import clean_line
from tempmail_tui.core.schedule import BoxInfo
from tempmail_tui.core.store import MessageSummary, StoredMailbox, StoreError
from tempmail_tui.ui.compositor import CroppedCompositor
from tempmail_tui.ui.events import ActionFailed, FilterTextsRead
from tempmail_tui.ui.failures import guarded
from tempmail_tui.ui.host import MailHost, host_of
from tempmail_tui.ui.widgets.box_groups import SidebarRows
from tempmail_tui.ui.widgets.mailbox_list import MailboxList
from tempmail_tui.ui.widgets.message_table import MessageTable
from tempmail_tui.ui.widgets.quota_bar import QuotaBar, QuotaView
from tempmail_tui.ui.widgets.reader import SELECT_HINT, ReaderPane

if TYPE_CHECKING:
    from tempmail_tui.api.models import UnreadableMessage

# One logger for the screen and its parts, named as before they were split: the log reads
# the same, and filters set on it still apply.
log = logging.getLogger("tempmail_tui.ui.screens.main")


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


@dataclass(frozen=True, slots=True)
class Problem:
    """A failure the status line shows until its cause is gone."""

    message: str
    #: The mailbox whose check failed, when the cause lies with that box alone.
    box: str | None
    #: Whether the server or the network answered so (not this machine).
    remote: bool


class MailView(Screen[None]):
    """The main screen's state and drawing; its parts (polling, actions) start the I/O."""

    #: The keys bound now, config.toml's included (the main screen sets them).
    keys_in_force: list[Binding]

    def __init__(self) -> None:
        super().__init__()
        # A cursor key repaints the list only: the rest of the screen is not drawn again.
        self._compositor = CroppedCompositor()
        self._boxes: list[StoredMailbox] = []
        # The boxes in state "live" (some may have expired since): the rest never come back.
        self._live_state: list[StoredMailbox] = []
        self._unread: dict[str, int] = {}
        # Bumped on every change of the unread counts: the sidebar's archive is kept by it.
        self._unread_version = 0
        # The version each box's count was last set at by the screen (see take_unread).
        self._unread_set: dict[str, int] = {}
        # The listed box's messages, without their bodies (an opened one is read anew).
        self.messages: dict[str, MessageSummary] = {}
        # Current failures by cause (a box, or the action that failed), oldest first: the
        # status line shows the newest, and each goes when its own cause is gone.
        self._problems: dict[str, Problem] = {}
        self._auth_prompted = False
        self.filter_text = ""
        #: The box whose messages were last asked for (shown or on their way).
        self.wanted_box: str | None = None
        # Lower-cased searchable text per message id, built on first use of the filter.
        self._haystacks: dict[str, str] = {}
        # Whether a worker is reading filter texts now (the title says so).
        self.reading_texts = False
        # Per mailbox, the messages its last poll could not read (shown as warning rows).
        self.unreadable: dict[str, tuple[UnreadableMessage, ...]] = {}
        #: Why the local store does not keep new mail (read-only, full), for the status line.
        self.store_notice: str | None = None
        # The sidebar's rows, archived ones remembered between ticks.
        self._sidebar_rows = SidebarRows()

    @property
    def host(self) -> MailHost:
        """The app, as far as screens may use it."""
        return host_of(self)

    # State helpers ---------------------------------------------------------------------

    @property
    def boxes(self) -> list[StoredMailbox]:
        """The known mailboxes, as last read from the store."""
        return self._boxes

    @boxes.setter
    def boxes(self, boxes: list[StoredMailbox]) -> None:
        self._boxes = boxes
        self._live_state = [b for b in boxes if b.state == "live"]

    @property
    def unread(self) -> Mapping[str, int]:
        """Unread messages per address (changed through set_unread, so the sidebar knows)."""
        return self._unread

    @unread.setter
    def unread(self, counts: dict[str, int]) -> None:
        self._unread = counts
        self._unread_version += 1

    def set_unread(self, email: str, count: int) -> None:
        """Set one box's unread count (from mail on screen: newer than the store's)."""
        if self._unread.get(email) != count:
            self._unread[email] = count
            self._unread_version += 1
        self._unread_set[email] = self._unread_version

    def unread_mark(self) -> int:
        """Taken before reading counts from the store, for ``take_unread``."""
        return self._unread_version

    def take_unread(self, counts: dict[str, int], since: int) -> None:
        """Take counts read from the store, but those the screen set after ``since``.

        A poll's mail is shown before it is written: a read begun before the write can
        answer after the poll set its box's count, and would put the older count back.
        """
        newer = {
            email: self._unread[email]
            for email, at in self._unread_set.items()
            if at > since and email in self._unread
        }
        self.unread = {**counts, **newer}

    @property
    def selected_email(self) -> str | None:
        """The address of the mailbox selected in the sidebar."""
        return self.query_one(MailboxList).selected_email

    def selected_box(self) -> StoredMailbox | None:
        """The selected mailbox record."""
        email = self.selected_email
        return next((b for b in self.boxes if b.email == email), None)

    def current_message(self) -> MessageSummary | None:
        """The message under the list cursor."""
        key = self.query_one(MessageTable).current_id
        return self.messages.get(key) if key else None

    def live_boxes(self) -> list[StoredMailbox]:
        """Mailboxes that can still receive mail."""
        now = self.host.clock()
        return [b for b in self._live_state if not (b.expire_at is not None and b.is_expired(now))]

    def is_live(self, email: str) -> bool:
        """Whether a box can still get mail: only those are ever asked about on the server."""
        return any(b.email == email for b in self.live_boxes())

    def toast(self, text: str, *, severity: str = "information", timeout: float = 5) -> None:
        """Show a toast with untrusted parts cleaned and markup off."""
        self.app.notify(
            clean_line(text, max_chars=400),
            severity=severity,  # type: ignore[arg-type]
            timeout=timeout,
            markup=False,
        )

    @property
    def problem(self) -> str | None:
        """The failure the status line shows: the newest whose cause is not gone."""
        return next(reversed(self._problems.values())).message if self._problems else None

    def report(self, action: str, error: Exception, *, box: str | None = None) -> None:
        """Show a failure: in the status line always, as a toast when it is news; log it.

        ``box`` names the mailbox a failed check was about, so the line goes when that box
        is checked again or archived.
        """
        message = describe(action, error)
        if isinstance(error, ApiError | StoreError):
            # Known failures (the server's answer, a full or read-only store): the message
            # says it all, and a failing store must not fill the log with tracebacks.
            log.warning("%s", message)
        else:
            # Unexpected: the traceback is what a bug report needs.
            log.error("%s", message, exc_info=error)
        remote = isinstance(error, ApiError)
        if isinstance(error, NetworkError | AuthenticationError | RateLimitError):
            # The connection, the key or the account's quota: not that box's doing, so any
            # request that succeeds later shows the cause is gone.
            box = None
        cause = box if box is not None else action
        before = self._problems.pop(cause, None)
        self._problems[cause] = Problem(message, box, remote)
        if before is None or before.message != message:
            self.toast(message, severity="error", timeout=8)
        self.refresh_quota()
        if isinstance(error, AuthenticationError) and not self._auth_prompted:
            self._auth_prompted = True
            self.host.ask_for_key(reason="The server rejected the API key (HTTP 401).")

    def request_succeeded(self, box: str | None = None) -> None:
        """Forget the failures a successful request (a check of ``box``) shows are over."""
        self._forget(lambda p: p.box is None or p.box == box)
        self._auth_prompted = False

    def key_replaced(self) -> None:
        """Forget every answer the server gave to the old key."""
        self._forget(lambda p: p.remote)
        self._auth_prompted = False

    def forget_problem(self, action: str) -> None:
        """Forget the failure of one action (it has just worked)."""
        self._forget(lambda p: p is self._problems.get(action))

    def _forget_gone_boxes(self, live_boxes: list[StoredMailbox]) -> None:
        """Forget failed checks of boxes no longer live (archived, expired, renamed)."""
        live = {b.email for b in live_boxes}
        self._forget(lambda p: p.box is not None and p.box not in live)

    def _forget(self, gone: Callable[[Problem], bool]) -> None:
        """Drop the problems whose cause is gone and redraw the line if it changed."""
        kept = {cause: p for cause, p in self._problems.items() if not gone(p)}
        if len(kept) != len(self._problems):
            self._problems = kept
            if self.is_mounted:
                self.refresh_quota()

    def _ready(self) -> bool:
        """Whether the service is up; says why not otherwise."""
        if self.host.service is None:
            self.toast("Not connected yet: an API key is needed.", severity="warning")
            return False
        return True

    # Drawing ---------------------------------------------------------------------------

    def expect_mail(self, email: str) -> None:
        """Check a box fast for a while: the user just did something that brings mail."""
        if self.host.service is None:
            return
        self.host.scheduler.expect_mail(email)
        self.refresh_quota()

    def refresh_quota(self) -> None:
        """Redraw the quota bar from the service and the schedule."""
        service = self.host.service
        scheduler = self.host.scheduler
        quota = service.quota if service is not None else None
        scheduler.update_quota(quota)
        self.query_one(QuotaBar).show(
            QuotaView(quota, scheduler.status(), self.problem or self.store_notice),
            now=self.host.clock(),
        )

    def refresh_sidebar(self, select: str | None = None) -> None:
        """Redraw the sidebar and tell the scheduler which boxes are live."""
        live = self.live_boxes()
        self._forget_gone_boxes(live)
        now = self.host.clock()
        made = self._sidebar_rows
        made.update(self.boxes, self.unread, now, self._unread_version)
        sidebar = self.query_one(MailboxList)
        sidebar.show_parts(made.live, made.archived, select=select, today=now.astimezone().date())
        scheduler = self.host.scheduler
        scheduler.set_boxes([BoxInfo(b.email, b.expire_at) for b in live])
        scheduler.select(self.watched_email())
        self.update_title(live)

    def show_start_hint(self) -> None:
        """With no box at all, the empty reader says how to get one; else its usual line."""
        reader = self.query_one(ReaderPane)
        if reader.message is not None:
            return
        if self.boxes:
            reader.clear_message(SELECT_HINT)
            return
        new, add = self.key_for("new_box"), self.key_for("add_address")
        reader.clear_message(
            "No mailboxes yet. "
            + (f"Press {new} for a new address" if new else "Make a new address from ctrl+p")
            + (f", or {add} to add one you own." if add else ".")
        )

    def key_for(self, action: str) -> str | None:
        """The first key bound to one of this screen's actions, as the footer shows it."""
        for binding in self.keys_in_force:
            if binding.action == action:
                return self.app.get_key_display(binding)
        return None

    def watched_email(self) -> str | None:
        """The box polled at the fast rate: the selected one, or on a group's header the
        one whose mail the list still shows (a header is no box, the list is unchanged)."""
        if self.query_one(MailboxList).on_header:
            return self.query_one(MessageTable).mailbox
        return self.selected_email

    def update_title(self, live: list[StoredMailbox] | None = None) -> None:
        """Put the count of unread mail (in the live boxes) in the terminal's title."""
        emails = {b.email for b in (self.live_boxes() if live is None else live)}
        unread = sum(self.unread.get(email, 0) for email in emails)
        self.host.set_terminal_title(f"({unread}) tempmail-tui" if unread else "tempmail-tui")

    def show_messages(self, email: str | None, messages: Iterable[MessageSummary]) -> None:
        """Put a mailbox's messages in the list (in place when it is the same box)."""
        listed = list(messages)
        self.messages = {m.id: m for m in listed}
        table = self.query_one(MessageTable)
        # The warning rows match no filter: a filtered list shows only mail.
        marks = () if self.filter_text or email is None else self.unreadable.get(email, ())
        table.show(email, self._filtered(listed), self.host.clock(), unreadable=marks)
        # Text, not str: a str border title is parsed as markup, and the address is the server's.
        title = Text(f"Messages — {clean_line(email)}" if email else "Messages")
        if self.filter_text:
            title.append(f" — filter: {clean_line(self.filter_text, max_chars=40)}")
            if self.reading_texts:
                title.append(" (reading the bodies…)")
        table.border_title = title
        reader = self.query_one(ReaderPane)
        if reader.message is not None and reader.message.id in self.messages:
            reader.update_summary(self.messages[reader.message.id])
        elif reader.message is not None and reader.message.mailbox != email:
            reader.clear_message()

    # Order and filter ------------------------------------------------------------------

    def _ordered_all(self) -> list[MessageSummary]:
        """Every message of the box in the store's order: newest first, then by id."""
        return sorted(self.messages.values(), key=lambda m: (-m.received_at.timestamp(), m.id))

    def _ordered(self) -> list[MessageSummary]:
        """The current messages in list order (newest first), filtered as the user asked."""
        return self._filtered(self._ordered_all())

    def _filtered(self, messages: list[MessageSummary]) -> list[MessageSummary]:
        """The messages matching every word of the filter in sender, subject or body."""
        words = self.filter_text.casefold().split()
        if not words:
            return messages
        unread = [m for m in messages if m.id not in self._haystacks]
        if unread and not self.reading_texts:
            # The list holds no bodies: the core reads them off the UI thread, and until
            # then the messages not read yet match on sender and subject.
            self.reading_texts = True
            self.read_filter_texts(unread)
        return [m for m in messages if all(w in self._haystack(m) for w in words)]

    def _haystack(self, message: MessageSummary) -> str:
        """The lower-cased text the filter looks in: all of it once read, else the headers."""
        text = self._haystacks.get(message.id)
        if text is None:
            text = " ".join((message.from_name, message.from_email, message.subject)).casefold()
        return text

    @work(group="filter-texts")
    async def read_filter_texts(self, messages: list[MessageSummary]) -> None:
        """Have the core read these messages' filter texts (store and worker threads); post them."""
        texts: dict[str, str] = {}
        try:
            service = self.host.service
            if service is not None:
                texts = await self.host.io.run(service.filter_texts(messages))
        except Exception as error:
            self.post_message(ActionFailed("Reading the bodies for the filter", error))
            # They match on sender and subject: asking again at every key would fail again.
            texts = {m.id: self._haystack(m) for m in messages}
        finally:
            # Posted even after a failure, so the list stops waiting for the rest.
            self.post_message(FilterTextsRead(texts))

    @on(FilterTextsRead)
    @guarded("Filtering the list")
    def _filter_texts_read(self, event: FilterTextsRead) -> None:
        self._haystacks.update(event.texts)
        self.reading_texts = False
        if self.filter_text:
            self.show_messages(self.query_one(MessageTable).mailbox, self._ordered_all())
