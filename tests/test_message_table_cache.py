"""The list's render caches, kept apart from the cursor, draw what DataTable itself draws."""

from __future__ import annotations

import gc
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.pilot import Pilot
from textual.strip import Strip
from textual.widgets import DataTable

from tempmail_tui.core.store import StoredMessage
from tempmail_tui.ui.widgets.message_rows import Cell
from tempmail_tui.ui.widgets.message_table import FILL_STEP, MessageTable

NOW = datetime(2026, 6, 28, 12, 0, tzinfo=UTC)


def stored(number: int) -> StoredMessage:
    """A stored message, a minute older for each number."""
    return StoredMessage(
        id=f"m{number:03d}",
        subject=f"Notice {number}",
        from_name=f"Sender {number % 7}",
        from_email="sender@example.org",
        to="box@example.com",
        received_at=NOW - timedelta(minutes=number),
        is_seen=number % 3 == 0,
        is_html=False,
        content="Hello.",
        attachments=(),
        mailbox="box@example.com",
        fetched_at=NOW,
        archived=False,
    )


class ListApp(App[None]):
    """Just the message list."""

    def compose(self) -> ComposeResult:
        yield MessageTable(id="list")


def drawn(table: MessageTable) -> tuple[list[Strip], list[Strip]]:
    """The visible lines as the table draws them, and as DataTable would with no cache."""
    mine, plain = [], []
    style = table.rich_style
    width = table.size.width
    for y in range(table.scroll_offset.y, table.scroll_offset.y + table.size.height):
        mine.append(table._render_line(y, 0, width, style))
        table._line_cache.clear()
        table._row_render_cache.clear()
        plain.append(DataTable._render_line(table, y, 0, width, style))
    return mine, plain


async def filled_list(app: App[None], pilot: Pilot[None], rows: int) -> MessageTable:
    """The app's message list showing ``rows`` messages, once drawn."""
    table = app.query_one(MessageTable)
    table.show("box@example.com", [stored(n) for n in range(rows)], NOW)
    await pilot.pause()
    return table


async def test_cached_lines_match_datatable_across_cursor_moves_and_a_theme_change() -> None:
    app = ListApp()
    async with app.run_test(size=(90, 12)) as pilot:
        table = await filled_list(app, pilot, 40)
        for _ in range(15):  # moves, then scrolls, with the cursor line among the cached
            await pilot.press("down")
            mine, plain = drawn(table)
            assert mine == plain
        await pilot.press("up", "up")
        mine, plain = drawn(table)
        assert mine == plain
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await pilot.pause()
        mine, plain = drawn(table)
        assert mine == plain


def uncached(table: MessageTable) -> list[Strip]:
    """The visible lines as DataTable draws them with every cache emptied."""
    lines = []
    style = table.rich_style
    width = table.size.width
    for y in range(table.scroll_offset.y, table.scroll_offset.y + table.size.height):
        table._line_cache.clear()
        table._row_render_cache.clear()
        table._cell_render_cache.clear()
        table._offset_cache.clear()
        lines.append(DataTable._render_line(table, y, 0, width, style))
    return lines


async def test_new_mail_goes_on_top_drawn_as_datatable_draws_it() -> None:
    app = ListApp()
    async with app.run_test(size=(90, 12)) as pilot:
        table = app.query_one(MessageTable)
        messages = [stored(n) for n in range(1, 41)]
        table.show("box@example.com", messages, NOW)
        await pilot.pause()
        await pilot.press("down", "down")
        drawn(table)
        table.show("box@example.com", [stored(0), *messages], NOW)
        await pilot.pause()
        mine = [table._render_line(y, 0, table.size.width, table.rich_style) for y in range(12)]
        # Every line as with no cache: a cell's render carries its row's index (clicks).
        assert table.current_id == "m003"
        assert [row.value for row in table._row_locations] == [m.id for m in [stored(0), *messages]]
        assert mine == uncached(table)


async def test_a_row_read_draws_only_its_own_line_again(monkeypatch: pytest.MonkeyPatch) -> None:
    app = ListApp()
    async with app.run_test(size=(90, 12)) as pilot:
        table = app.query_one(MessageTable)
        messages = [stored(n) for n in range(1, 41)]
        table.show("box@example.com", messages, NOW)
        await pilot.pause()
        drawn(table)  # every visible line cached
        made: list[int] = []
        render = DataTable._render_line

        def counted(self: DataTable[Text], y: int, *args: object) -> Strip:
            made.append(y)
            return render(self, y, *args)  # type: ignore[arg-type]

        monkeypatch.setattr(DataTable, "_render_line", counted)
        unread = messages[1]
        assert not unread.is_seen
        read = replace(unread, is_seen=True)
        table.show("box@example.com", [messages[0], read, *messages[2:]], NOW)
        await pilot.pause()
        width, style = table.size.width, table.rich_style
        mine = [table._render_line(y, 0, width, style) for y in range(12)]
        # Only the read row's line is made again (the header is line 0, the row line 2).
        assert made == [2]
        monkeypatch.setattr(DataTable, "_render_line", render)
        assert mine == uncached(table)


async def test_a_drawing_pass_draws_what_datatable_draws() -> None:
    app = ListApp()
    async with app.run_test(size=(90, 12)) as pilot:
        table = app.query_one(MessageTable)
        table.show("box@example.com", [stored(n) for n in range(40)], NOW)
        await pilot.pause()
        await pilot.press(*["down"] * 14)  # scrolled: line y shows row y - 1 + scroll
        assert table.scroll_offset.y > 0
        crop = Region(0, 0, table.size.width, table.size.height)
        once = table.render_lines(crop)  # the table's style worked out once for the pass
        assert table._drawing_style is None
        table._styles_cache.clear()
        each = DataTable.render_lines(table, crop)  # no pass: asked for on every line
        assert once == each
        assert [table.render_line(y) for y in range(table.size.height)] == [
            DataTable.render_line(table, y) for y in range(table.size.height)
        ]


def datatable_order(table: MessageTable) -> tuple[list[object], list[tuple[object, int]]]:
    """The rows in order and each line's row, as DataTable works them out (no cache)."""
    table._ordered_row_cache.clear()
    table._offset_cache.clear()
    rows = DataTable.ordered_rows.fget(table)  # type: ignore[attr-defined]
    table._offset_cache.clear()
    offsets = DataTable._y_offsets.fget(table)  # type: ignore[attr-defined]
    table._ordered_row_cache.clear()
    table._offset_cache.clear()
    return rows, offsets


async def test_the_row_order_and_line_offsets_are_datatables() -> None:
    # A fill, new mail on top, a removal and a taller row: the list's own (faster) order
    # and line offsets read as DataTable's own.
    app = ListApp()
    async with app.run_test(size=(90, 12)) as pilot:
        table = await filled_list(app, pilot, 30)
        messages = [stored(n) for n in range(30)]
        for step in range(3):
            messages = [stored(-1 - step), *messages[:-1]]
            table.show("box@example.com", messages, NOW)
            await pilot.pause()
            rows, offsets = datatable_order(table)
            assert table.ordered_rows == rows and table._y_offsets == offsets
        tall = Cell("x")
        table.add_row(tall, tall, tall, tall, key="tall", height=3)
        rows, offsets = datatable_order(table)
        assert table.ordered_rows == rows and table._y_offsets == offsets
        assert len(offsets) == len(rows) + 2
        assert [row.key.value for row in table.ordered_rows[:2]] == ["m-03", "m-02"]


def live_texts() -> int:
    """How many Rich ``Text`` objects are alive (frozen ones too: a large fill freezes)."""
    gc.unfreeze()
    gc.collect()
    return sum(1 for thing in gc.get_objects() if isinstance(thing, Text))


async def test_a_filled_list_keeps_no_text_object_per_row() -> None:
    # The list keeps each row's cleaned strings, made into Text only as a row is drawn: a
    # 20,000-mail box kept 80,000 Texts (a third of its memory).
    rows = 3 * FILL_STEP
    app = ListApp()
    async with app.run_test(size=(90, 12)) as pilot:
        before = live_texts()
        table = await filled_list(app, pilot, rows)
        for _ in range(100):
            if table.row_count == rows:
                break
            await pilot.pause(0.05)
        assert table.row_count == rows
        await pilot.press("end")
        await pilot.pause()
        assert live_texts() - before < rows // 10
