"""The message list's rows made from messages alone: their cells and the Received column's width."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from tempmail_tui.core.format import local_time
from tempmail_tui.core.store import MessageSummary
from tempmail_tui.ui.widgets.message_rows import (
    EMPTY_DATE_WIDTH,
    Cell,
    date_width,
    row_view,
)

NOW = datetime(2026, 6, 28, 10, 57, tzinfo=UTC)


def summary(received: datetime, index: int = 0) -> MessageSummary:
    """A message that arrived at ``received``."""
    return MessageSummary(
        id=f"m{index}",
        subject="Hello",
        from_name="Sender",
        from_email="s@example.org",
        to="box@inbox.test",
        received_at=received,
        is_seen=True,
        is_html=False,
        attachments=(),
        mailbox="box@inbox.test",
        fetched_at=received,
        archived=False,
    )


def widest(messages: list[MessageSummary]) -> int:
    """The width the column needs, by formatting every message."""
    return max(cell_len(local_time(m.received_at, now=NOW)) for m in messages)


@pytest.mark.parametrize("zone", ["UTC", "America/St_Johns", "Pacific/Kiritimati", "Etc/GMT+12"])
def test_the_received_width_is_the_widest_cell_in_every_zone(
    zone: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Arrivals every 37 minutes around the local day's and year's bounds: each set of
    # forms present (today, this year, earlier) gives the width formatting them all gives.
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        checked = 0
        for start in (NOW - timedelta(days=1), datetime(2026, 1, 1, tzinfo=UTC)):
            for span in (1, 3, 40):
                for offset in range(-30, 30, 7):
                    first = start + timedelta(hours=offset)
                    messages = [summary(first + timedelta(minutes=37 * i), i) for i in range(span)]
                    assert date_width(messages, NOW) == widest(messages), (zone, first, span)
                    checked += 1
        assert checked == 2 * 3 * 9
    finally:
        monkeypatch.setenv("TZ", "UTC")
        time.tzset()


def test_an_empty_list_is_as_wide_as_its_header() -> None:
    assert date_width([], NOW) == EMPTY_DATE_WIDTH


def drawn(renderable: object, width: int) -> list[list[tuple[str, str]]]:
    """The lines a renderable draws in ``width`` cells, as DataTable draws a cell."""
    console = Console(width=width)
    lines = console.render_lines(renderable, console.options.update_width(width), pad=False)  # type: ignore[arg-type]
    return [[(segment.text, str(segment.style)) for segment in line] for line in lines]


@pytest.mark.parametrize("width", [8, 30])
def test_a_cell_draws_as_the_text_it_stands_for(width: int) -> None:
    hostile = "[bold]Deals[/bold] for you and everyone you have ever met"
    cut = Cell(hostile, "bold", cut=True)
    expected = drawn(Text(hostile, style="bold", no_wrap=True, overflow="ellipsis"), width)
    assert drawn(cut, width) == expected
    # Cut at the edge, never wrapped.
    assert len(expected) == 1 and expected[0][-1][0].endswith("…")
    assert drawn(Cell("24 Nov 12:47", "dim"), width) == drawn(Text("24 Nov 12:47", "dim"), width)
    # Never markup: the brackets are shown as written.
    console = Console(width=200, record=True)
    console.print(cut)
    assert hostile in console.export_text()


def test_rows_share_their_flag_cells_and_keep_the_messages_own_strings() -> None:
    first, second = summary(NOW, 1), summary(NOW, 2)
    one, two = row_view(first, NOW), row_view(second, NOW)
    # One flags cell for every read mail without attachments, not one per row.
    assert one.flags is two.flags
    assert (one.flags.plain, one.flags.style) == ("  ", "dim")
    unread = row_view(replace(first, is_seen=False), NOW)
    assert (unread.flags.plain, unread.flags.style, unread.subject.style) == ("● ", "bold", "bold")
    # A line that needed no cleaning is the message's own string, not a copy of it.
    words = replace(first, from_name="Shop Forty Two", subject="Your order has shipped")
    clean = row_view(words, NOW)
    assert clean.sender.plain is words.from_name
    assert clean.subject.plain is words.subject
    messy = row_view(replace(first, subject="  Two\tspaces\x1b[31m  "), NOW)
    assert messy.subject.plain == "Two spaces"
