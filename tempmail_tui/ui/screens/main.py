"""The main screen: mailbox sidebar, message list, reader pane and quota bar."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from functools import partial

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingsMap
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, OptionList, Static

from tempmail_tui.core.render import Rendered
from tempmail_tui.core.store import MessageSummary, SearchHit
from tempmail_tui.ui import interpreter
from tempmail_tui.ui.events import ActionFailed, MessageOpened
from tempmail_tui.ui.failures import guarded
from tempmail_tui.ui.keys import bindings_in_force
from tempmail_tui.ui.screens.main_actions import MailActions
from tempmail_tui.ui.screens.main_keys import KEYS
from tempmail_tui.ui.screens.main_polling import MailPolling
from tempmail_tui.ui.widgets.key_footer import KeyFooter
from tempmail_tui.ui.widgets.mailbox_list import MailboxList
from tempmail_tui.ui.widgets.message_table import MessageTable
from tempmail_tui.ui.widgets.quota_bar import QuotaBar
from tempmail_tui.ui.widgets.reader import ReaderPane, prepare_body

#: Seconds after an opened body is handed to the reader that the rest of the screen follows:
#: past the next frame (a sixtieth of a second away, and a few hundredths long) on a busy box.
AFTER_BODY_FRAME = 0.05


class MainScreen(MailActions, MailPolling):
    """The three-pane reader; it owns the UI state and starts workers for I/O.

    Its parts: MailView (main_view.py) holds the state and draws it, MailPolling
    (main_polling.py) keeps it current, MailActions (main_actions.py) runs the keys that
    change boxes and messages. They are Screen subclasses, not plain mixins, because Textual
    finds ``@on`` handlers only on its own classes; this class adds the layout, the list and
    reader events, the filter and the archive search.
    """

    BINDINGS = list(KEYS)
    # The message list focuses itself once mounted; a selector here can run too early.
    AUTO_FOCUS = None

    def __init__(self) -> None:
        super().__init__()
        #: The bindings in force (the defaults until config.toml's keys are applied).
        self.keys_in_force: list[Binding] = list(KEYS)
        #: Whether the filter field filters the sidebar's boxes (opened from the sidebar).
        self.filtering_boxes = False

    def use_keys(self, configured: Mapping[str, Sequence[str]]) -> list[str]:
        """Bind the keys config.toml sets; returns what that took from other actions."""
        self.keys_in_force, notes = bindings_in_force(KEYS, configured)
        # Textual reads a node's bindings from this map on each key, so replacing it is
        # enough. A private attribute (Textual's own keymap would also rebind every widget
        # and drop clashing keys silently): pyproject's upper bound on textual covers it.
        # Only the screen's own keys are replaced: the ones it inherits (tab and shift+tab
        # move the focus) stay as they are.
        own = {binding.action for binding in KEYS}
        inherited = [
            binding
            for bindings in self._bindings.key_to_bindings.values()
            for binding in bindings
            if binding.action not in own
        ]
        self._bindings = BindingsMap([*inherited, *self.keys_in_force])
        return notes

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
        yield KeyFooter()

    def on_mount(self) -> None:
        """Start the once-a-second refresh of times and the schedule."""
        # Nested children may not be mounted yet here, so no queries.
        self.set_interval(1.0, self._tick)
        # Due polls are looked for more often than the screen is refreshed, so a 5 s
        # interval is not stretched to 6 s by the 1 s tick.
        self.set_interval(0.25, self._start_due_polls)

    # Sidebar and list events -----------------------------------------------------------

    @on(OptionList.OptionHighlighted, "#sidebar")
    @guarded("Selecting the mailbox")
    def _box_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        email = self.query_one(MailboxList).email_of(event.option.id)
        self.host.scheduler.select(email)
        self.show_box(email)

    @on(OptionList.OptionSelected, "#sidebar")
    @guarded("Selecting the mailbox")
    def _box_selected(self) -> None:
        self.query_one(MessageTable).focus()

    @on(DataTable.RowSelected, "#messages")
    @guarded("Opening the message")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value
        reader = self.query_one(ReaderPane)
        if key is not None and reader.message is not None and reader.message.id == key:
            # Enter on the message already open: read it full screen (or back), as z does.
            self.action_zoom()
            return
        self._open_row_key(key)

    def _open_row_key(self, key: str | None) -> None:
        """Show the message of this list row in the reader and read it on the server."""
        message = self.messages.get(key) if key else None
        if message is None:
            unreadable = self.query_one(MessageTable).unreadable_at(key)
            if unreadable is not None:
                # Nothing to open: say why instead of doing nothing.
                self.toast(f"Could not read this message: {unreadable.reason}", severity="warning")
            return
        self.query_one(ReaderPane).show_message(message, self._cached_render(message))
        self.open_message(message.id)

    def _cached_render(self, message: MessageSummary) -> Rendered | None:
        service = self.host.service
        return service.cache.get(message.id) if service is not None else None

    @work(group="open", exclusive=True)
    async def open_message(self, message_id: str) -> None:
        """Read a message on the server and convert it off the UI thread."""
        service = self.host.service
        if service is None:
            return
        # No full collection while the body is converted and drawn (ui/interpreter.py);
        # let go a while after it is shown, or after a failure or a newer open.
        interpreter.FULL_COLLECTIONS.hold()
        try:
            opened = await self.host.io.run(service.open_message(message_id))
            # Spans and line breaks of a long body are made in a thread: laid out by the
            # handler, a newsletter would hold the screen for a tenth of a second.
            widths = self.query_one(ReaderPane).body_widths()
            prepared = await asyncio.to_thread(prepare_body, opened.rendered, widths)
        except asyncio.CancelledError:
            # A newer open took over: nothing of this one will be drawn.
            self._release_collections_later()
            raise
        except Exception as error:
            self._release_collections_later()
            self.post_message(ActionFailed("Opening the message", error))
        else:
            # The handler lets go once the body is drawn: a timer started here could run
            # before a busy screen has handled the message.
            self.post_message(MessageOpened(opened, prepared))

    def _release_collections_later(self) -> None:
        """Let go of one open's hold on full collections a while from now, while the user reads."""
        self.set_timer(interpreter.COLLECTION_DELAY, interpreter.FULL_COLLECTIONS.release)

    @on(MessageOpened)
    @guarded("Showing the message")
    def _message_opened(self, event: MessageOpened) -> None:
        try:
            self._show_opened(event)
        finally:
            self._release_collections_later()

    def _show_opened(self, event: MessageOpened) -> None:
        """Hand the opened body to the reader, then redraw its row and the counts later."""
        opened = event.opened
        message = opened.message
        reader = self.query_one(ReaderPane)
        if reader.message is None or reader.message.id != message.id:
            return  # the user moved on
        reader.show_message(message, opened.rendered, opened.aids, event.prepared)
        if opened.notice:
            self.toast(opened.notice, severity="warning")
        was_unread = (
            self.messages.get(message.id) is not None and not self.messages[message.id].is_seen
        )
        # The list keeps no body: the reader has it.
        self.messages[message.id] = message.summary()
        if was_unread and message.mailbox in self.unread:
            self.set_unread(message.mailbox, max(0, self.unread[message.mailbox] - 1))
        # The body's frame first: the list's row and the sidebar's count (now read) are drawn
        # in a later one, so the two halves of the work never hold one frame together. (Not
        # call_after_refresh: it can run before the reader's widgets have asked for a frame.)
        self.set_timer(AFTER_BODY_FRAME, partial(self._redraw_after_open, message.mailbox))

    @guarded("Showing the message")
    def _redraw_after_open(self, mailbox: str | None) -> None:
        """Draw what opening a message changed beside the reader: its row, counts and quota."""
        table = self.query_one(MessageTable)
        if mailbox is not None and mailbox == table.mailbox:
            table.show(mailbox, self._ordered(), self.host.clock())
        self.refresh_sidebar()
        self.refresh_quota()

    @on(ActionFailed)
    @guarded("Reporting a failure")
    def _action_failed(self, event: ActionFailed) -> None:
        self.report(event.action, event.error)

    # Views -----------------------------------------------------------------------------

    def action_toggle_source(self) -> None:
        """Switch the reader between the readable body and the raw source."""
        self.query_one(ReaderPane).toggle_source()

    def action_zoom(self) -> None:
        """Read full screen: hide the sidebar and the list (again, or Esc, to come back)."""
        zoomed = not self.has_class("-zoomed")
        if zoomed and self.query_one(ReaderPane).message is None:
            self.toast("Open a message first (Enter).")
            return
        self.set_class(zoomed, "-zoomed")
        # The list is hidden: the reader takes the keys (j, k, space) until Esc or z.
        (self.query_one(ReaderPane) if zoomed else self.query_one(MessageTable)).focus()

    def action_page(self) -> None:
        """Page the reader down; at its end open the next unread message (as in mutt)."""
        reader = self.query_one(ReaderPane)
        if reader.message is None:
            current = self.query_one(MessageTable).current_id
            if current is None:
                self.toast("No message to open here.", timeout=2)
                return
            self._open_row_key(current)
            return
        if reader.scroll_y < reader.max_scroll_y:
            reader.scroll_page_down(animate=False)
            return
        keys = self._row_keys()
        start = keys.index(reader.message.id) + 1 if reader.message.id in keys else 0
        for index in range(start, len(keys)):
            message = self.messages.get(keys[index])
            if message is not None and not message.is_seen:
                self._open_row(index)
                return
        self.toast("No more unread messages below this one.", timeout=3)

    def action_next_message(self) -> None:
        """Open the message below the one open (or the highlighted one)."""
        self._open_step(1)

    def action_previous_message(self) -> None:
        """Open the message above the one open (or the highlighted one)."""
        self._open_step(-1)

    def _open_step(self, step: int) -> None:
        """Open the message ``step`` rows from the open one, or say there is none."""
        keys = self._row_keys()
        reader = self.query_one(ReaderPane)
        if reader.message is not None and reader.message.id in keys:
            here = keys.index(reader.message.id)
        else:
            here = self.query_one(MessageTable).cursor_row
        index = here + step
        if not 0 <= index < len(keys):
            self.toast("No next message." if step > 0 else "No previous message.", timeout=2)
            return
        self._open_row(index)

    def _row_keys(self) -> list[str]:
        """The row keys of the message list, top to bottom, as shown."""
        return [row.key.value for row in self.query_one(MessageTable).ordered_rows if row.key.value]

    def _open_row(self, index: int) -> None:
        """Put the list cursor on this row and open its message."""
        table = self.query_one(MessageTable)
        table.move_cursor(row=index)
        self._open_row_key(self._row_keys()[index])

    def action_toggle_group(self) -> None:
        """Open or close the highlighted archive group (from a box: the group it is in)."""
        if not self.query_one(MailboxList).toggle_group_here():
            self.toast("Highlight a group of archived boxes (or a box in one) first.", timeout=3)

    def action_group_by(self) -> None:
        """Group the archived boxes by the day they ended, or by label, and back."""
        sidebar = self.query_one(MailboxList)
        sidebar.set_grouping("label" if sidebar.grouping == "day" else "day")
        self.toast(f"Archived boxes grouped by {sidebar.grouping}", timeout=2)

    def action_toggle_sidebar(self) -> None:
        """Show or hide the mailbox sidebar."""
        # A class, not the inline display: inline styles would beat the full-screen reader's.
        self.toggle_class("-no-sidebar")

    def action_help(self) -> None:
        """Show every key binding."""
        # Dialogs load on first use: their widgets are not on the first frame.
        from tempmail_tui.ui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(self.keys_in_force))

    async def action_quit(self) -> None:
        """Leave the app."""
        self.app.exit()

    # Filter and archive search ---------------------------------------------------------

    def action_filter(self) -> None:
        """Filter the list (or, from the sidebar, the boxes by address or label) as you type."""
        field = self.query_one("#filter", Input)
        sidebar = self.query_one(MailboxList)
        boxes = self.focused is sidebar
        if boxes != self.filtering_boxes and field.display:
            self._clear_filter()  # one field: the other filter goes
        self.filtering_boxes = boxes
        field.placeholder = (
            "filter boxes: address or label" if boxes else "filter: sender, subject or body"
        )
        field.display = True
        field.focus()

    @on(Input.Changed, "#filter")
    @guarded("Filtering the list")
    def _filter_changed(self, event: Input.Changed) -> None:
        if self.filtering_boxes:
            self.query_one(MailboxList).set_filter(event.value)
            return
        self.filter_text = event.value
        self.show_messages(self.query_one(MessageTable).mailbox, self._ordered_all())

    @on(Input.Submitted, "#filter")
    @guarded("Filtering the list")
    def _filter_submitted(self) -> None:
        (
            self.query_one(MailboxList) if self.filtering_boxes else self.query_one(MessageTable)
        ).focus()

    @guarded("Clearing the filter")
    def key_escape(self) -> None:
        """Escape leaves the full-screen reader, else clears and hides the filter."""
        if self.has_class("-zoomed"):
            self.action_zoom()
            return
        field = self.query_one("#filter", Input)
        if field.display:
            boxes = self.filtering_boxes
            self._clear_filter()
            (self.query_one(MailboxList) if boxes else self.query_one(MessageTable)).focus()

    def _clear_filter(self) -> None:
        """Empty and hide the filter field, and show everything it hid."""
        field = self.query_one("#filter", Input)
        with field.prevent(Input.Changed):
            field.value = ""
        field.display = False
        if self.filtering_boxes:
            self.query_one(MailboxList).set_filter("")
            self.filtering_boxes = False
            return
        self.filter_text = ""
        self.show_messages(self.query_one(MessageTable).mailbox, self._ordered_all())

    @work(group="search")
    async def action_search_archive(self) -> None:
        """Search every stored message of every box and open the one chosen."""
        # Dialogs load on first use: their widgets are not on the first frame.
        from tempmail_tui.ui.screens.search import ArchiveSearchScreen

        if not self._ready():
            return
        service = self.host.service
        assert service is not None

        async def search(query: str, limit: int, offset: int) -> list[SearchHit]:
            # As you type, the last word is a prefix ("verif" finds "verification").
            words = query if query.endswith(" ") else query.strip() + "*"
            return await self.host.io.run(service.search(words, limit=limit, offset=offset))

        found = await self.app.push_screen_wait(ArchiveSearchScreen(search))
        if not isinstance(found, SearchHit):
            return
        if found.mailbox != self.selected_email:
            self.refresh_sidebar(select=found.mailbox)
            messages = await self.host.io.run(service.summaries(found.mailbox))
            self.show_messages(found.mailbox, messages)
        table = self.query_one(MessageTable)
        if found.id in self.messages:
            with contextlib.suppress(Exception):
                table.move_cursor(row=table.get_row_index(found.id))
        # A hit carries no body: the box's list has it, else the stored copy is read.
        message = self.messages.get(found.id)
        if message is None:
            loaded = await self.host.io.run(service.load_message(found.id, refresh=False))
            message = loaded.message
        self.query_one(ReaderPane).show_message(message, self._cached_render(message))
        self.open_message(found.id)
