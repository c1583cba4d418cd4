"""The message list: a DataTable keyed by message id that updates in place."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowDoesNotExist

from tempmail_tui.core.format import local_time
from tempmail_tui.core.sanitize import clean_line
from tempmail_tui.core.store import StoredMessage

COLUMNS = (
    ("flags", " ", 2),
    ("from", "From", 24),
    ("subject", "Subject", 40),
    ("date", "Received", 12),
)


@dataclass(frozen=True, slots=True)
class RowView:
    """The cleaned, display-ready cells of one message row."""

    flags: Text
    sender: Text
    subject: Text
    date: Text

    def cells(self) -> tuple[Text, Text, Text, Text]:
        """The cells in column order."""
        return (self.flags, self.sender, self.subject, self.date)


def row_view(message: StoredMessage, now: datetime | None = None) -> RowView:
    """Build the row for a message; everything from the server is cleaned and kept as Text."""
    style = "" if message.is_seen else "bold"
    if message.archived:
        style = "dim"
    flag = ("●" if not message.is_seen else " ") + ("+" if message.attachments else " ")
    sender = clean_line(message.from_name or message.from_email, max_chars=120) or "(unknown)"
    subject = clean_line(message.subject, max_chars=300) or "(no subject)"
    return RowView(
        flags=Text(flag, style="bold" if not message.is_seen else "dim"),
        sender=Text(sender, style=style, no_wrap=True, overflow="ellipsis"),
        subject=Text(subject, style=style, no_wrap=True, overflow="ellipsis"),
        date=Text(
            local_time(message.received_at, now=now), style="dim" if message.is_seen else style
        ),
    )


class MessageTable(DataTable[Text]):
    """Messages of one mailbox, newest first, updated without losing the cursor."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self._views: dict[str, RowView] = {}
        self._order: list[str] = []
        self.mailbox: str | None = None
        self.border_title = "Messages"

    def on_mount(self) -> None:
        """Create the columns once and take the focus: the list is where reading starts."""
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=width)
        self.focus()

    def on_resize(self) -> None:
        """Share the width out: the subject takes what the other columns leave."""
        padding = 2 * self.cell_padding * len(COLUMNS)
        # The scrollbar and border take a few cells; the sender gets a quarter of the rest.
        free = max(20, self.scrollable_content_region.width - padding - 2 - 12 - 1)
        sender = max(10, min(28, free // 4))
        widths = {"flags": 2, "from": sender, "subject": max(10, free - sender), "date": 12}
        changed = False
        for key, width in widths.items():
            column = self.columns.get(ColumnKey(key))
            if column is not None and column.width != width:
                column.width, column.auto_width = width, False
                changed = True
        if changed:
            # DataTable recomputes its virtual size only when told its dimensions changed.
            self._require_update_dimensions = True
            self.refresh()

    @property
    def current_id(self) -> str | None:
        """The id of the message under the cursor."""
        if not self._order or self.cursor_row < 0 or self.cursor_row >= len(self._order):
            return None
        return self._order[self.cursor_row]

    def show(
        self, mailbox: str | None, messages: Sequence[StoredMessage], now: datetime | None = None
    ) -> None:
        """Show a mailbox's messages (newest first): rows are added, removed or updated in place."""
        views = {m.id: row_view(m, now) for m in messages}
        if mailbox != self.mailbox:
            self.mailbox = mailbox
            self._rebuild(messages, views, keep=None)
            return
        order = [m.id for m in messages]
        if order == self._order:
            # Nothing added or removed: touch only the rows whose cells changed.
            for key, view in views.items():
                if self._views.get(key) != view:
                    self._update_row(key, view)
            self._views = views
            self._update_subtitle()
            return
        added = [key for key in order if key not in self._views]
        if not added:
            # Only removals (and maybe changes): remove rows in place, order is unchanged.
            keep = self.current_id
            gone = set(self._order) - set(order)
            for key in gone:
                with contextlib.suppress(RowDoesNotExist):
                    self.remove_row(key)
            self._order = [key for key in self._order if key in views]
            for key in self._order:
                if self._views.get(key) != views[key]:
                    self._update_row(key, views[key])
            self._views = views
            self._restore_cursor(keep)
            self._update_subtitle()
            return
        # New rows must go in date order, which DataTable cannot insert: rebuild and keep position.
        self._rebuild(messages, views, keep=self.current_id)

    def _update_row(self, key: str, view: RowView) -> None:
        """Replace the cells of one row."""
        for (column, _, _), cell in zip(COLUMNS, view.cells(), strict=True):
            self.update_cell(key, column, cell)

    def _rebuild(
        self, messages: Sequence[StoredMessage], views: dict[str, RowView], *, keep: str | None
    ) -> None:
        """Fill the table from scratch, keeping the cursor on ``keep`` and the scroll offset."""
        scroll_y = self.scroll_y
        self.clear(columns=False)
        self._views = views
        self._order = [m.id for m in messages]
        for key in self._order:
            self.add_row(*self._views[key].cells(), key=key)
        if keep is not None:
            self._restore_cursor(keep)
            self.scroll_to(y=scroll_y, animate=False, immediate=True)
        self._update_subtitle()

    def _restore_cursor(self, key: str | None) -> None:
        """Put the cursor back on the row with this key, if it still exists."""
        if key is None or key not in self._views:
            return
        index = self._order.index(key)
        if index != self.cursor_row:
            self.move_cursor(row=index, animate=False, scroll=False)

    def _update_subtitle(self) -> None:
        """Show the count of messages and unread ones."""
        unread = sum(1 for v in self._views.values() if v.flags.plain.startswith("●"))
        total = len(self._order)
        self.border_subtitle = f"{total} message{'s' * (total != 1)}" + (
            f" · {unread} unread" if unread else ""
        )
