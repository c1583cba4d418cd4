"""The reader's helpers through the real app: codes, links, filter, archive search, notices."""

from __future__ import annotations

import gc
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from tempmail_tui.core import mail as core_mail
from tempmail_tui.core.reading import filter_text
from tempmail_tui.core.store import MessageSummary, SearchHit, Store, StoredMessage
from tempmail_tui.sandbox.server import SandboxServer
from tempmail_tui.ui import interpreter
from tempmail_tui.ui.screens.dialogs import LinksDialog
from tempmail_tui.ui.screens.search import ArchiveSearchScreen
from tempmail_tui.ui.widgets.message_table import MessageTable
from tempmail_tui.ui.widgets.reader import ReaderPane

from .app_helpers import make_app, wait_for
from .test_app import SIZE, reader_body, sidebar, start_with_box, table


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A fresh sandbox server."""
    with SandboxServer(api_key="tmk_test_key_0123456789abcdef") as server:
        yield server


async def open_first(app, pilot) -> ReaderPane:  # type: ignore[no-untyped-def]
    """Poll, open the newest message and wait until its code and links are known."""
    await pilot.press("R")
    await wait_for(pilot, lambda: table(app).row_count >= 1, what="mail")
    table(app).focus()
    await pilot.press("home", "enter")
    reader = app.main.query_one(ReaderPane)
    await wait_for(pilot, lambda: reader.aids is not None, what="reading aids")
    return reader


async def test_c_copies_the_code_and_l_lists_links(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        email = await start_with_box(app, pilot)
        sample = sandbox.state.add_sample(email, "verification")
        reader = await open_first(app, pilot)
        assert sample.code and reader.aids is not None
        assert reader.aids.code == sample.code
        assert sample.code in reader_body(app) or sample.code in str(reader.aids)
        await pilot.press("c")
        assert app.clipboard == sample.code

        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, LinksDialog), what="links dialog")
        await pilot.press("enter")  # starts on the best link: the confirm link
        await wait_for(pilot, lambda: not isinstance(app.screen, LinksDialog), what="closed")
        assert app.clipboard == reader.aids.best_link
        assert "verify" in app.clipboard or "confirm" in app.clipboard
        # In the body the same link carries the number the dialog shows.
        best = next(link for link in reader.aids.links if link.best)
        assert f"\n[{best.number}] {best.url}" in reader_body(app)

        # No display here: "o" says so and copies instead of opening.
        app.copy_to_clipboard("")
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, LinksDialog), what="links dialog")
        await pilot.press("o")
        await wait_for(pilot, lambda: app.clipboard == reader.aids.best_link, what="copied")


async def test_no_code_says_so(sandbox: SandboxServer, tmp_path: Path) -> None:
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        email = await start_with_box(app, pilot)
        sandbox.state.add_sample(email, "plain")
        reader = await open_first(app, pilot)
        assert reader.aids is not None and reader.aids.code is None
        app.copy_to_clipboard("unchanged")
        await pilot.press("c")
        assert app.clipboard == "unchanged"


async def test_filter_narrows_the_list_as_you_type(sandbox: SandboxServer, tmp_path: Path) -> None:
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        email = await start_with_box(app, pilot)
        sandbox.state.deliver(email, subject="Invoice 7", from_name="Billing", text="pay now")
        sandbox.state.deliver(email, subject="Hello", from_name="Ann", text="the zebra crossing")
        sandbox.state.deliver(email, subject="Hi", from_name="Bob", html="<p>a <b>Zebra</b></p>")
        await pilot.press("R")
        await wait_for(pilot, lambda: table(app).row_count == 3, what="three mails")
        await pilot.press("slash")
        field = app.main.query_one("#filter", Input)
        assert field.has_focus
        await pilot.press(*"zebra")
        await wait_for(pilot, lambda: table(app).row_count == 2, what="body matches")
        await pilot.press("backspace", *"", "ctrl+u")
        await pilot.press(*"billing")
        await wait_for(pilot, lambda: table(app).row_count == 1, what="sender match")
        # Tags are not text: "<b>" is no match for "b>".
        field.value = "b>"
        await wait_for(pilot, lambda: table(app).row_count == 0, what="no tag match")
        await pilot.press("escape")
        await wait_for(pilot, lambda: table(app).row_count == 3, what="filter cleared")
        assert not field.display


async def test_filter_reads_bodies_off_the_ui_thread_and_agrees_with_search(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    readers: list[str] = []

    def recording(message: MessageSummary, content: str) -> str:
        readers.append(threading.current_thread().name)
        return filter_text(message, content)

    # The list holds no bodies: the core reads them (store thread) and converts them.
    monkeypatch.setattr(core_mail, "filter_text", recording)
    count = 40
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        email = await start_with_box(app, pilot)
        for n in range(count):
            word = "kumquat" if n % 3 == 0 else "banana"
            sandbox.state.deliver(
                email,
                subject=f"Note {n}",
                # A script's words and tag names are not text, for the filter nor for search.
                html=f"<p>a <b>{word}</b> note</p><script>var quince = 1;</script>",
            )
        await pilot.press("R")
        await wait_for(pilot, lambda: table(app).row_count == count, what="the whole box")
        await pilot.press("slash", *"kumquat")
        wanted = len(range(0, count, 3))
        await wait_for(pilot, lambda: table(app).row_count == wanted, what="body matches")
        assert readers and threading.main_thread().name not in readers
        assert not app.main.reading_texts

        assert app.service is not None
        found = await app.io.run(app.service.search("kumquat"))
        listed = {str(key.value) for key in table(app).rows}
        assert {m.id for m in found} == listed
        for hidden in ("quince", "script"):
            app.main.query_one("#filter", Input).value = hidden
            await wait_for(pilot, lambda: table(app).row_count == 0, what=f"no {hidden}")
            assert await app.io.run(app.service.search(hidden)) == []


async def test_search_all_finds_mail_in_another_box(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The UI thread never waits on a search: the store runs it on its own thread.
    searched_on: list[str] = []
    search = Store.search

    def recorded(store: Store, *args: Any, **kwargs: Any) -> list[SearchHit]:
        searched_on.append(threading.current_thread().name)
        return search(store, *args, **kwargs)

    monkeypatch.setattr(Store, "search", recorded)
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        first = await start_with_box(app, pilot)
        sandbox.state.deliver(first, subject="Quarterly kumquat report", text="fruit")
        await pilot.press("R")
        await wait_for(pilot, lambda: table(app).row_count == 1, what="mail in first box")
        await pilot.press("n")
        await wait_for(pilot, lambda: sidebar(app).selected_email not in (None, first), what="2nd")
        await wait_for(pilot, lambda: table(app).mailbox != first, what="second box shown")
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, ArchiveSearchScreen), what="search")
        await pilot.press(*"kumq")  # a prefix is enough as you type
        screen = app.screen
        assert isinstance(screen, ArchiveSearchScreen)
        await wait_for(pilot, lambda: len(screen._results) == 1, what="result")
        await pilot.press("enter")
        await wait_for(pilot, lambda: table(app).mailbox == first, what="back in first box")
        reader = app.main.query_one(ReaderPane)
        # A hit has no body, nor has the list: the opened mail has, read through the core.
        await wait_for(pilot, lambda: isinstance(reader.message, StoredMessage), what="opened")
        assert isinstance(reader.message, StoredMessage) and "kumquat" in reader.message.subject
        assert "fruit" in reader.message.content
        assert searched_on and threading.main_thread().name not in searched_on


async def test_new_mail_updates_title_and_desktop_notification(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real notify-send stand-in on PATH that records its arguments.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "notified.txt"
    script = bin_dir / "notify-send"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" >> "{record}"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("DISPLAY", ":99")
    app = make_app(sandbox, tmp_path)
    app.config.desktop_notifications = True
    async with app.run_test(size=SIZE) as pilot:
        email = await start_with_box(app, pilot)
        await pilot.pause(0.3)
        sandbox.state.deliver(email, subject="Welcome \x1b]0;x\x07aboard", from_name="Team")
        await wait_for(pilot, lambda: table(app).row_count == 1, timeout=15, what="polled mail")
        await wait_for(pilot, lambda: record.exists(), what="desktop notification")
        assert app._terminal_title == "(1) tempmail-tui"
        notified = record.read_text()
        assert "Welcome aboard" in notified and "\x1b" not in notified
        # Opening it clears the unread count in the title.
        table(app).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: app._terminal_title == "tempmail-tui", what="title cleared")
        assert isinstance(app.main.query_one(MessageTable), MessageTable)


async def test_opening_holds_full_collections_off_until_the_body_is_shown(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    usual = gc.get_threshold()
    thresholds: list[tuple[int, int, int]] = []
    show = ReaderPane.show_message

    def showing(self: ReaderPane, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("aids", args[2] if len(args) > 2 else None) is not None:
            thresholds.append(gc.get_threshold())  # the opened body handed to the reader
        show(self, *args, **kwargs)

    monkeypatch.setattr(ReaderPane, "show_message", showing)
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        email = await start_with_box(app, pilot)
        sandbox.state.add_sample(email, "verification")
        await open_first(app, pilot)
        # Held while the body was drawn (the young generations' thresholds untouched) ...
        assert thresholds and all(t[:2] == usual[:2] and t[2] > usual[2] for t in thresholds)
        # ... and let go a moment later (interpreter.COLLECTION_DELAY).
        await wait_for(pilot, lambda: not interpreter.FULL_COLLECTIONS.held, what="the release")
        assert gc.get_threshold() == usual
        # The row was drawn read in a frame of its own, after the body's.
        await wait_for(pilot, lambda: "●" not in table(app).get_row_at(0)[0].plain, what="read")
