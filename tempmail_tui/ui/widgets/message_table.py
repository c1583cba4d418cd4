"""The message list: a DataTable keyed by message id that updates in place."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import date, datetime

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual._two_way_dict import TwoWayDict
from textual.cache import LRUCache
from textual.coordinate import Coordinate
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, Row, RowDoesNotExist, RowKey

from tempmail_tui.api.models import UnreadableMessage
from tempmail_tui.core.store import MessageSummary
from tempmail_tui.ui import early_keys, interpreter
from tempmail_tui.ui.keys import TABLE_KEYS
from tempmail_tui.ui.widgets.message_rows import (
    COLUMNS,
    EMPTY_DATE_WIDTH,
    WIDEST_DATE,
    Cell,
    RowInputs,
    RowView,
    date_width,
    local_day,
    mark_key,
    row_inputs,
    row_view,
    unreadable_view,
)

#: Beyond this many removals at once, refilling the table is cheaper than removing row by row
#: (each removal renumbers every row below it).
MAX_REMOVALS_IN_PLACE = 64
#: An empty list is filled this many rows at a time, painting between steps: a large box
#: shows its first screenful at once instead of freezing the UI while every row is added.
FILL_STEP = 400
#: A cursor place no row is at (see MessageTable._render_line_in_row).
_AWAY = Coordinate(-2, -2)

#: The list's actions a key may run at the list itself (see ui/early_keys.py): moves only.
CURSOR_ACTIONS = frozenset(
    {"cursor_up", "cursor_down", "page_up", "page_down", "scroll_top", "scroll_bottom"}
)


class MessageTable(DataTable[Cell]):
    """Messages of one mailbox, newest first, updated without losing the cursor.

    A poll of a large box must not rebuild what did not change: rows are kept per message
    id with the inputs they were made from, new mail is added and put in its place (see
    ``_place_rows``), and only rows whose inputs changed are redrawn.
    """

    BINDINGS = list(TABLE_KEYS)

    def __init__(self, *, id: str | None = None) -> None:
        # Rendered lines, cached apart from where the cursor is (see _render_line); made
        # first, as DataTable's set-up may already clear its caches (see _clear_caches).
        self._lines: LRUCache[tuple[object, ...], Strip] = LRUCache(1000)
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        # The row of each message id; None for a row not added yet (see _fill_step).
        self._views: dict[str, RowView | None] = {}
        self._inputs: dict[str, RowInputs] = {}
        self._order: list[str] = []
        self._day: date | None = None
        # Rows still to add while a large list fills, and the messages they are made from.
        self._pending: list[str] = []
        self._later: dict[str, MessageSummary] = {}
        self._now: datetime | None = None
        # The messages last shown, by id: the same object again needs no comparing.
        self._messages: dict[str, MessageSummary] = {}
        # Unreadable messages shown as warning rows above the mail, by row key.
        self._marks: dict[str, tuple[UnreadableMessage, RowView]] = {}
        self.mailbox: str | None = None
        self.border_title = "Messages"
        # The Received column's width: that of its widest cell, so the sender gets the rest.
        self._date_width = EMPTY_DATE_WIDTH
        # The table's style while it draws its lines (see render_lines), else None.
        self._drawing_style: Style | None = None
        # DataTable's update count moves on with every changed cell, which would drop every
        # cached line: the moves that came from one row's cells (see _update_row) are
        # counted apart, and that row's lines are told apart by its version instead.
        self._cell_updates = 0
        self._row_versions: dict[object, int] = {}

    def _render_line_in_row(
        self,
        row_key: RowKey,
        line_no: int,
        base_style: Style,
        cursor_location: Coordinate,
        hover_location: Coordinate,
    ) -> tuple[list[list[Segment]], list[list[Segment]]]:
        """One line of a row, cached apart from where the cursor is when it is elsewhere.

        DataTable keys its cache of rendered rows on the cursor's and the hover's place, so
        each cursor move re-renders every visible row. A row the cursor (or hover) is not on
        renders the same wherever they are: it is asked for with them "away", so the cache
        answers it across moves.
        """
        if self.cursor_type == "row" and row_key in self._row_locations:
            row = self._row_locations.get(row_key)
            if cursor_location.row != row:
                cursor_location = _AWAY
            if hover_location.row != row:
                hover_location = _AWAY
        return super()._render_line_in_row(
            row_key, line_no, base_style, cursor_location, hover_location
        )

    def _clear_caches(self) -> None:
        """Drop DataTable's render caches and this table's line cache with them (styles changed)."""
        super()._clear_caches()
        self._lines.clear()

    def _render_line(self, y: int, x1: int, x2: int, base_style: Style) -> Strip:
        """One line of the table, cached by whether the cursor (or hover) is on its row.

        DataTable keys its line cache on the cursor's place too, so a cursor move that
        scrolls re-renders every visible line; in row mode a line reads the same as long as
        the cursor stays on, or off, its row.
        """
        if self.cursor_type != "row":
            return super()._render_line(y, x1, x2, base_style)
        try:
            row_key, _ = self._get_offsets(y)
        except LookupError:
            return super()._render_line(y, x1, x2, base_style)
        # The header is at no row index: -1, as DataTable numbers it.
        row = self._row_locations.get(row_key) if row_key in self._row_locations else -1
        key = (
            y,
            x1,
            x2,
            self.size.width,
            self.cursor_coordinate.row == row,
            self.hover_coordinate.row == row,
            base_style,
            self._show_hover_cursor,
            self._update_count - self._cell_updates,
            self._row_versions.get(row_key.value, 0),
            self._pseudo_class_state,
        )
        strip = self._lines.get(key)
        if strip is None:
            strip = super()._render_line(y, x1, x2, base_style)
            self._lines[key] = strip
        return strip

    def render_lines(self, crop: Region) -> list[Strip]:
        """Draw the lines in ``crop``, working out the table's own style once for all of them.

        DataTable asks for it on every line, and each time it walks the widget's ancestors
        for their backgrounds: a third of drawing a screenful of cached lines.
        """
        self._drawing_style = self.rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._drawing_style = None

    def render_line(self, y: int) -> Strip:
        """One line of the table as DataTable draws it, with the style of this drawing pass."""
        style = self._drawing_style
        if style is None or self.fixed_rows:
            # Outside a drawing pass, or with fixed rows (this list has none): as DataTable.
            return super().render_line(y)
        scroll_x, scroll_y = self.scroll_offset
        if y >= (self.header_height if self.show_header else 0):
            y += scroll_y
        return self._render_line(y, scroll_x, scroll_x + self.size.width, style)

    @property
    def ordered_rows(self) -> list[Row]:
        """The rows in screen order, as DataTable's, made in one pass over the positions.

        A poll that adds mail to a large box changes the order once, and DataTable built
        this again with a call per row through nested loops: 4-7 ms for 5,000 rows.
        """
        cache_key = (self.row_count, self._update_count)
        ordered = self._ordered_row_cache.get(cache_key)
        if ordered is None:
            rows, key_at = self.rows, self._row_locations.get_key
            # Every position below the row count has a key (None only past the end).
            ordered = [rows[key_at(index)] for index in range(len(rows))]  # type: ignore[index]
            self._ordered_row_cache[cache_key] = ordered
        return ordered

    @property
    def _y_offsets(self) -> list[tuple[RowKey, int]]:
        """Each line's row and the line's place in it, as DataTable's, in one comprehension."""
        offsets = self._offset_cache.get(self._update_count)
        if offsets is None:
            offsets = [(row.key, y) for row in self.ordered_rows for y in range(row.height)]
            self._offset_cache[self._update_count] = offsets
        return offsets

    async def _on_key(self, event: events.Key) -> None:
        """Run a cursor key's binding here when Textual would run it here after the bubble.

        Otherwise (another key still on its way, the focus elsewhere, ...) the key goes on
        as Textual dispatches it: Widget's handler comes next in the MRO.
        """
        await early_keys.run_here(self, event, CURSOR_ACTIONS)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Keep a cursor move to the list: nothing above it listens (Enter opens a message)."""
        event.stop()

    def on_mount(self) -> None:
        """Create the columns once and take the focus: the list is where reading starts."""
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=width)
        self.focus()

    def on_resize(self) -> None:
        """Share the width out: the subject takes what the other columns leave."""
        self._share_width()

    def _share_width(self) -> None:
        """Give the date column what its cells need, the sender a quarter of the rest."""
        padding = 2 * self.cell_padding * len(COLUMNS)
        # The scrollbar and border take a few cells; the sender gets a quarter of the rest
        # beside the widest date.
        free = self.scrollable_content_region.width - padding - 2 - WIDEST_DATE - 1
        sender = max(10, min(28, free // 4))
        # What the dates shown do not need goes to the sender first (names are what gets
        # cut), up to its cap, then to the subject.
        date = self._date_width
        spare = max(0, WIDEST_DATE - date)
        extra = min(spare, max(0, 28 - sender))
        sender += extra
        subject = free - sender + spare
        if subject < 10:
            # A narrow list (60 columns with the sidebar): sender and subject share what the
            # date leaves, so the row never runs past the pane and the date stays whole.
            room = max(12, free + spare)
            sender = max(6, room * 2 // 5)
            subject = room - sender
        widths = {"flags": 2, "from": sender, "subject": subject, "date": date}
        changed = False
        for key, width in widths.items():
            column = self.columns.get(ColumnKey(key))
            if column is not None and column.width != width:
                column.width, column.auto_width = width, False
                changed = True
        label = "Received" if date >= EMPTY_DATE_WIDTH else "Time"
        column = self.columns.get(ColumnKey("date"))
        if column is not None and column.label.plain != label:
            # "Received" in five cells would be cut; today's times are times.
            column.label = Text(label)
            changed = True
        if changed:
            # DataTable recomputes its virtual size only when told its dimensions changed.
            self._require_update_dimensions = True
            self.refresh()

    @property
    def _current_key(self) -> str | None:
        """The key of the row under the cursor."""
        if not self._order or self.cursor_row < 0 or self.cursor_row >= len(self._order):
            return None
        return self._order[self.cursor_row]

    @property
    def current_id(self) -> str | None:
        """The id of the message under the cursor (None on a row of an unreadable message)."""
        key = self._current_key
        return None if key is None or key in self._marks else key

    def drawn_from(self, key: str) -> MessageSummary | None:
        """The message a row was last drawn from (None if it has no row)."""
        return self._messages.get(key)

    def unreadable_at(self, key: str | None) -> UnreadableMessage | None:
        """The unreadable message a row key stands for, if it is one of those rows."""
        mark = self._marks.get(key) if key is not None else None
        return mark[0] if mark is not None else None

    def show(
        self,
        mailbox: str | None,
        messages: Sequence[MessageSummary],
        now: datetime | None = None,
        unreadable: Sequence[UnreadableMessage] | None = None,
    ) -> None:
        """Show a mailbox's messages (newest first): rows are added, removed or updated in place.

        ``unreadable`` messages are shown as warning rows above the mail; None keeps the ones
        shown for this mailbox (callers that only redraw mail need not know of them).
        """
        if mailbox != self.mailbox:
            self._pending, self._later = [], {}  # the rows of the box left behind
        else:
            self._finish_fill()
        if unreadable is None:
            unreadable = [entry for entry, _ in self._marks.values()]
            if mailbox != self.mailbox:
                unreadable = []
        width = date_width(messages, now)
        if width != self._date_width:
            self._date_width = width
            self._share_width()
        # An empty list fills step by step, so only its first rows need making now.
        fresh = mailbox != self.mailbox or not self._order
        views, inputs, later = self._views_for(messages, now, lazy=fresh)
        marks = self._marks_for(unreadable, taken=views)
        if marks:
            views = {**{key: view for key, (_, view) in marks.items()}, **views}
        self._marks = marks
        order = list(views)
        if mailbox != self.mailbox:
            self.mailbox = mailbox
            self._rebuild(order, views, inputs, keep=None, later=later, now=now)
            return
        gone = [key for key in self._order if key not in views]
        if len(gone) > MAX_REMOVALS_IN_PLACE:
            self._rebuild(order, views, inputs, keep=self._current_key, later=later, now=now)
            return
        keep = self._current_key
        for key in gone:
            with contextlib.suppress(RowDoesNotExist):
                self.remove_row(key)
        shown = [key for key in self._order if key in views]
        for key in shown:
            view = views[key]
            if view is not None and self._views[key] is not view:
                self._update_row(key, view)
        added = [key for key in order if key not in self._views]
        self._views, self._inputs, self._later, self._now = views, inputs, later, now
        self._add_rows(added, stepwise=not shown)
        if shown + added != order:
            self._place_rows(order)
        self._order = order
        if gone or added:
            self._restore_cursor(keep)
        self._update_subtitle()

    def _views_for(
        self, messages: Sequence[MessageSummary], now: datetime | None, *, lazy: bool
    ) -> tuple[dict[str, RowView | None], dict[str, RowInputs], dict[str, MessageSummary]]:
        """The row of each message in order, reusing rows whose inputs did not change.

        With ``lazy``, rows past the first fill step are left to make as they are added
        (None here); the messages they are made from come back separately.
        """
        day = local_day(now)
        if day != self._day:
            # Times are shown relative to today: a new day redraws every row.
            self._day = day
            self._inputs = {}
        old_views, old_inputs, old_messages = self._views, self._inputs, self._messages
        views: dict[str, RowView | None] = {}
        inputs: dict[str, RowInputs] = {}
        later: dict[str, MessageSummary] = {}
        for message in messages:
            key = message.id
            if key in views:
                continue  # a repeated id: the first copy is shown
            view = old_views.get(key)
            if view is not None and old_messages.get(key) is message and key in old_inputs:
                # The very message shown before (the store hands back unchanged rows as the
                # same objects): nothing to compare.
                views[key], inputs[key] = view, old_inputs[key]
                continue
            made = row_inputs(message)
            if view is None or old_inputs.get(key) != made:
                if lazy and len(views) >= FILL_STEP:
                    view = None
                    later[key] = message
                else:
                    view = row_view(message, now)
            views[key] = view
            inputs[key] = made
        self._messages = {message.id: message for message in messages}
        return views, inputs, later

    def _marks_for(
        self, unreadable: Sequence[UnreadableMessage], *, taken: dict[str, RowView | None]
    ) -> dict[str, tuple[UnreadableMessage, RowView]]:
        """The warning row of each unreadable message, reusing rows that did not change."""
        marks: dict[str, tuple[UnreadableMessage, RowView]] = {}
        for entry in unreadable:
            key = mark_key(entry)
            if key in marks or key in taken:
                continue  # the same message twice, or a hostile id that looks like a key
            old = self._marks.get(key)
            marks[key] = (
                old if old is not None and old[0] == entry else (entry, unreadable_view(entry))
            )
        return marks

    def _view(self, key: str) -> RowView:
        """The row of a message, made now if it was left for later."""
        view = self._views[key]
        if view is None:
            view = row_view(self._later.pop(key), self._now)
            self._views[key] = view
        return view

    def _add_rows(self, keys: list[str], *, stepwise: bool) -> None:
        """Append rows for these keys at the bottom; ``stepwise``, a step now and the rest later."""
        now = keys[:FILL_STEP] if stepwise else keys
        for key in now:
            self.add_row(*self._view(key).cells(), key=key)
        # Every column has a fixed width and every row a height of one, so DataTable's
        # measuring of each new cell on idle (four per row: most of the cost of filling a
        # large box) would be thrown away. The virtual size is still recomputed.
        self._new_rows.clear()
        self._pending = keys[len(now) :]
        if self._pending:
            self.call_after_refresh(self._fill_step)
        elif stepwise or len(now) >= interpreter.LARGE_LOAD:
            # The list is in: if large, what it holds lives on, out of the collector's sweeps.
            interpreter.settle(len(self._views))

    def _place_rows(self, order: list[str]) -> None:
        """Put the rows in ``order`` (DataTable only appends: new mail goes to the bottom).

        The order is known, so each row's place is set from it: ``sort`` would read every
        row's cells. Rendered rows are dropped all the same (the update count moves on):
        each cell's render carries its row's index, which mouse clicks are read from.
        """
        rows = {row_key.value: row_key for row_key in self._row_locations}
        self._row_locations = TwoWayDict({rows[key]: index for index, key in enumerate(order)})
        self._update_count += 1
        self.refresh()

    def _fill_step(self) -> None:
        """Add the next step of rows of a filling list, once the previous one was painted."""
        if not self._pending or not self.is_attached:
            return
        self._add_rows(self._pending, stepwise=True)

    def _finish_fill(self) -> None:
        """Add every row still waiting, at once (the list is about to change)."""
        if self._pending:
            self._add_rows(self._pending, stepwise=False)

    def _update_row(self, key: str, view: RowView) -> None:
        """Replace the cells of one row; the other rows' cached lines stay (a read mail).

        Only this row's lines are drawn again, not the screenful around it.
        """
        before = self._update_count
        for (column, _, _), cell in zip(COLUMNS, view.cells(), strict=True):
            self.update_cell(key, column, cell)
        self._cell_updates += self._update_count - before
        self._row_versions[key] = self._row_versions.get(key, 0) + 1

    def _rebuild(
        self,
        order: list[str],
        views: dict[str, RowView | None],
        inputs: dict[str, RowInputs],
        *,
        keep: str | None,
        later: dict[str, MessageSummary],
        now: datetime | None,
    ) -> None:
        """Fill the table from scratch, keeping the cursor on ``keep`` and the scroll offset."""
        scroll_y = self.scroll_y
        self.clear(columns=False)
        self._views, self._inputs, self._order = views, inputs, order
        self._later, self._now = later, now
        # Cursor and scroll go back to a row that must exist: no stepwise fill then.
        self._add_rows(order, stepwise=keep is None)
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
        unread = sum(1 for made in self._inputs.values() if not made[0])
        marked = len(self._marks)
        total = len(self._order) - marked
        subtitle = f"{total} message{'s' * (total != 1)}" + (
            f" · {unread} unread" if unread else ""
        )
        if marked:
            subtitle += f" · {marked} could not be read"
        # Setting a border title repaints the whole table: only when it reads differently.
        if subtitle != self.border_subtitle:
            self.border_subtitle = subtitle
