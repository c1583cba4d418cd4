"""Small terminals: dialogs keep their buttons, search shows results, dates take what they need."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest
from textual.widget import Widget
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.data_table import ColumnKey

from tempmail_tui.core.format import local_time
from tempmail_tui.core.store import StoredMessage
from tempmail_tui.sandbox.server import SandboxServer
from tempmail_tui.ui.app import TempMailApp
from tempmail_tui.ui.screens.dialogs import (
    AddressDialog,
    ConfirmDialog,
    RenameDialog,
    SaveDialog,
)
from tempmail_tui.ui.screens.key_dialog import ApiKeyDialog
from tempmail_tui.ui.screens.search import ArchiveSearchScreen
from tempmail_tui.ui.widgets.message_rows import date_width

from .app_helpers import make_app, wait_for
from .test_app import start_with_box, table

SMALL = (60, 15)


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A fresh sandbox server with SMTP on loopback."""
    with SandboxServer(api_key="tmk_test_key_0123456789abcdef") as server:
        yield server


# No keyring, as over SSH: nothing a test types is written anywhere.
pytestmark = pytest.mark.usefixtures("no_keyring")


async def no_toasts(app: TempMailApp, pilot: object) -> None:
    """Close the toasts: they pass over anything for a few seconds, and are not the layout."""
    app.clear_notifications()
    await pilot.pause(0.1)  # type: ignore[attr-defined]


def on_top(app: TempMailApp, widget: Widget) -> bool:
    """Whether the middle of a widget is on screen and not hidden by anything."""
    region = widget.region
    if region.width <= 0 or region.height <= 0:
        return False
    x, y = region.x + region.width // 2, region.y + region.height // 2
    width, height = app.size
    if not (0 <= x < width and 0 <= y < height):
        return False
    found, _ = app.screen.get_widget_at(x, y)
    return found is widget or widget in found.ancestors


async def assert_buttons_visible(app: TempMailApp, pilot: object, *ids: str) -> None:
    """Every named button of the open dialog can be seen and clicked."""
    await no_toasts(app, pilot)
    for name in ids:
        button = app.screen.query_one(f"#{name}", Button)
        assert on_top(app, button), (type(app.screen).__name__, name, button.region, app.size)


async def test_every_dialog_keeps_its_buttons_at_60x15(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        email = await start_with_box(app, pilot)
        sandbox.state.add_sample(email, "attachment")
        await pilot.press("R")
        await wait_for(pilot, lambda: table(app).row_count == 1, what="mail")

        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, AddressDialog), what="add dialog")
        # A refusal adds a line: the buttons stay.
        app.screen.query_one(Input).value = "not an address"
        await pilot.press("enter")
        await assert_buttons_visible(app, pilot, "ok", "cancel")
        await pilot.press("escape")

        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, RenameDialog), what="rename dialog")
        app.screen.query_one("#username", Input).value = "bad name!"
        await pilot.press("enter")
        await assert_buttons_visible(app, pilot, "ok", "cancel")
        await pilot.press("escape")

        table(app).focus()
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="confirm")
        await assert_buttons_visible(app, pilot, "confirm", "cancel")
        await pilot.press("escape")

        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SaveDialog), what="save dialog")
        # No buttons here: the choices and the line saying how to use them.
        choices = app.screen.query_one("#choices", OptionList)
        await no_toasts(app, pilot)
        assert on_top(app, choices) and choices.content_region.height >= 2
        assert on_top(app, app.screen.query(Static).last())
        await pilot.press("escape")

        app.enter_key()
        await wait_for(pilot, lambda: isinstance(app.screen, ApiKeyDialog), what="key dialog")
        await assert_buttons_visible(app, pilot, "ok", "cancel")
        # Its tallest state: a check that got no answer, with three buttons and the reason.
        sandbox.state.update_faults(force_status=503)
        app.screen.query_one("#key", Input).value = sandbox.api_key
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: app.screen.query_one("#unchecked", Button).display,
            what="could not check",
        )
        await assert_buttons_visible(app, pilot, "ok", "unchecked", "cancel")
        # The reason is scrolled into view, above the buttons.
        reason = app.screen.query_one("#error", Static)
        # The failing checks (503) keep raising toasts over it: each try clears them first.
        await wait_for(
            pilot,
            lambda: app.clear_notifications() or on_top(app, reason),
            what="the reason in view",
        )
        sandbox.state.update_faults(force_status=None)


async def test_archive_search_shows_several_results_at_60x15(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        email = await start_with_box(app, pilot)
        for n in range(4):
            sandbox.state.deliver(email, subject=f"invoice {n}", text="the invoice")
        await pilot.press("R")
        await wait_for(pilot, lambda: table(app).row_count == 4, what="mail")
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, ArchiveSearchScreen), what="search")
        await pilot.press(*"invoice")
        results = app.screen.query_one("#results", OptionList)
        await wait_for(pilot, lambda: results.option_count == 4, what="results")
        await no_toasts(app, pilot)
        # Each result takes two lines: more than one is seen at once.
        assert results.scrollable_content_region.height >= 4, results.region
        assert on_top(app, results)
        assert on_top(app, app.screen.query_one("#status", Static))


def table_lines(app: TempMailApp) -> list[str]:
    """The message list's lines as painted."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def test_received_column_is_as_wide_as_what_it_shows(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        email = await start_with_box(app, pilot)
        name = "Priya Shah-Dutta"  # 16 cells: cut when the dates took 12
        sandbox.state.deliver(email, subject="today", from_name=name, text="x")
        await pilot.press("R")
        await wait_for(pilot, lambda: table(app).row_count == 1, what="mail")
        await pilot.pause(0.1)
        date = table(app).columns[ColumnKey("date")]
        now = app.clock()
        assert date.width == len(local_time(now, now=now)) == 5
        assert date.label.plain == "Time"  # "Received" would not fit
        row = next(line for line in table_lines(app) if "today" in line)
        assert name in row and local_time(now, now=now) in row
        # Older mail shows the date too: the column grows to fit it.
        older = now - timedelta(days=3)
        sandbox.state.deliver(email, subject="older", from_name=name, text="x", received_at=older)
        await pilot.press("R")
        await wait_for(pilot, lambda: table(app).row_count == 2, what="older mail")
        await pilot.pause(0.1)
        shown = local_time(older, now=now)
        assert date.width == len(shown) >= 10 and date.label.plain == "Received"
        row = next(line for line in table_lines(app) if "older" in line)
        assert shown in row


def test_date_width_is_that_of_the_widest_form() -> None:
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

    def message(moment: datetime) -> StoredMessage:
        return cast(StoredMessage, SimpleNamespace(received_at=moment))

    today, this_year, last_year = now, now - timedelta(days=40), now - timedelta(days=400)
    assert date_width([], now) == len("Received")
    assert date_width([message(today)], now) == 5
    assert date_width([message(last_year)], now) == 10
    assert date_width([message(today), message(last_year)], now) == 10
    assert date_width([message(today), message(last_year), message(this_year)], now) == 12


async def test_a_narrow_list_keeps_the_time_whole_at_60x15(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=(60, 15)) as pilot:
        email = await start_with_box(app, pilot)
        before = app.clock()
        sandbox.state.deliver(email, subject="Your code is 482915", from_name="Example App")
        await pilot.press("R")
        await wait_for(pilot, lambda: table(app).row_count == 1, what="mail")
        await pilot.pause(0.1)
        # The mail arrived between these two moments, which may lie on either side of a minute.
        shown = {local_time(moment, now=moment) for moment in (before, app.clock())}
        list_ = table(app)
        used = sum(c.width for c in list_.columns.values()) + 2 * list_.cell_padding * 4
        assert used <= list_.scrollable_content_region.width
        row = next(line for line in table_lines(app) if "Exam" in line)
        assert any(time in row for time in shown), (shown, row)


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
async def test_the_code_and_links_line_never_breaks_inside_a_phrase(
    sandbox: SandboxServer, tmp_path: Path, size: tuple[int, int]
) -> None:
    # At 80x24 beside the sidebar, "Code 123456 c copies it   1 link · l lists them" is wider
    # than the reader: the links go on a line of their own instead of "l lists" / "them".
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=size) as pilot:
        email = await start_with_box(app, pilot)
        sample = sandbox.state.add_sample(email, "verification")
        await wait_for(pilot, lambda: table(app).row_count == 1, what="mail")
        table(app).focus()
        await pilot.press("enter")
        aids = app.main.query_one("#aids", Static)
        await wait_for(pilot, lambda: aids.display and aids.size.width > 0, what="the code line")
        await pilot.pause()
        lines = [strip.text.rstrip() for strip in aids.render_lines(aids.size.region)]
        shown = [line for line in lines if line]
        assert shown[0].startswith(f" Code  {sample.code}  c copies it"), lines
        assert any(line.endswith("· l lists them") for line in shown), lines
        wide = len(f" Code  {sample.code}  c copies it   1 link · l lists them")
        assert len(shown) == (1 if aids.size.width >= wide else 2), (aids.size, lines)
